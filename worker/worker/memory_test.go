package worker_test

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// TestMemoryPerSession measures the heap and stack a connected session costs
// when a worker brings linked sessions back. It runs only with
// SWITCHBOARD_MEASURE_MEMORY=<sessions> because it links many devices. The
// figure includes the simulator's side of each connection (same process).
func TestMemoryPerSession(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SWITCHBOARD_MEASURE_MEMORY"))
	if n <= 0 {
		t.Skip("set SWITCHBOARD_MEASURE_MEMORY=<sessions> to measure")
	}
	e := newEnv(t, devstoretest.SQLiteURL(t))
	first := e.startWorker("w1")
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("mem-%d", i)
		e.link(ids[i])
	}
	first.stop(t)
	base := measure()

	e.startWorker("w2")
	for _, id := range ids {
		e.waitState(id, "working on w2", func(r session.Record) bool {
			return r.State.Status == session.StatusWorking && r.State.Owner == "w2"
		})
	}
	conn := measure()
	t.Logf("%d connected sessions: %.1f KiB heap+stack and %.1f goroutines per session (incl. simulator side)",
		n, float64(conn.bytes-base.bytes)/float64(n)/1024, float64(conn.goroutines-base.goroutines)/float64(n))
}

type usage struct {
	bytes      int64
	goroutines int
}

func measure() usage {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return usage{bytes: int64(m.HeapInuse + m.StackInuse), goroutines: runtime.NumGoroutine()}
}
