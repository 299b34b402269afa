package worker_test

import (
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/memlimit"
	"github.com/switchboard-gw/switchboard/worker/worker"
)

// TestLoginStormRaisesGCTarget: while hundreds of connects wait at the
// worker's pacer (a restart, a takeover) the GC target is raised; when
// they are gone it is put back.
func TestLoginStormRaisesGCTarget(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(memlimit.DefaultGCPercent))
	e := newEnv(t, devstoretest.SQLiteURL(t))
	r := e.startWorkerConfig("w1", func(c *worker.Config) { c.ReconnectRate, c.ReconnectBurst = 1, 1 }, nil)
	waitGC := func(want int, what string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); memlimit.GCPercent() != want; {
			if time.Now().After(deadline) {
				t.Fatalf("%s: GC percent %d, want %d", what, memlimit.GCPercent(), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if got := memlimit.GCPercent(); got != memlimit.DefaultGCPercent {
		t.Fatalf("before any storm: GC percent %d, want %d", got, memlimit.DefaultGCPercent)
	}
	var over atomic.Bool
	r.w.QueueConnects(300, over.Load)
	waitGC(memlimit.StormGCPercent, "300 connects queued")
	over.Store(true) // the queue drains
	waitGC(memlimit.DefaultGCPercent, "the queue drained")

	// Sessions a starting shard is still marking and reading count too.
	r.w.AddLoading(300)
	waitGC(memlimit.StormGCPercent, "300 sessions loading")
	r.w.AddLoading(-300)
	waitGC(memlimit.DefaultGCPercent, "the sessions loaded and queued")
}
