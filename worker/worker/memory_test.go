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

// BenchmarkWorkerMemory measures the heap and stack a connected session
// costs when a worker brings linked sessions back (a takeover).
// WORKER_BENCH_N sets the session count (default 300). The figure includes
// the simulator's side of each connection, which runs in this process
// (about 24 KiB, see shared/wasim's BenchmarkLogins).
func BenchmarkWorkerMemory(b *testing.B) {
	n := 300
	if v, err := strconv.Atoi(os.Getenv("WORKER_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	for range b.N {
		e := newEnv(b, devstoretest.SQLiteURL(b))
		first := e.startWorker("w1")
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("mem-%d", i)
			e.link(ids[i])
		}
		first.stop(b)
		base := measure()

		e.startWorker("w2")
		for _, id := range ids {
			e.waitState(id, "working on w2", func(r session.Record) bool {
				return r.State.Status == session.StatusWorking && r.State.Owner == "w2"
			})
		}
		conn := measure()
		kib := float64(conn.bytes-base.bytes) / float64(n) / 1024
		gor := float64(conn.goroutines-base.goroutines) / float64(n)
		b.ReportMetric(kib, "KiB/session")
		b.ReportMetric(gor, "goroutines/session")
		b.ReportMetric(float64(n), "sessions")
		b.Logf("%d connected sessions: %.1f KiB heap+stack and %.1f goroutines per session (incl. simulator side)", n, kib, gor)
	}
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
