package cluster

import (
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// TestFailoverReduced is the cluster case of every `go test`: two workers
// with 20 linked sessions and commands flowing. kill -9 the busier worker:
// every session logs in again on the survivor. A third worker joins: the
// sessions of its shards move to it. SIGTERM the survivor: it drains, exits
// 0, and every session runs on the newcomer. No connection is ever
// replaced, no session needs a new QR, every accepted command is applied.
func TestFailoverReduced(t *testing.T) {
	c := newCluster(t, options{workers: 2, apis: 1, schedulers: 1, shards: 16})
	ids := sessionIDs("r", 20)
	c.linkAll(ids, 5)
	base := c.stats()
	flow := c.flowCommands(ids, "connect")
	time.Sleep(time.Second) // commands in flight on both workers

	victim, n := c.busiest(ids)
	survivor := "worker-1"
	if victim == survivor {
		survivor = "worker-2"
	}
	killed := time.Now()
	c.workers[victim].kill()
	back := c.waitWorking(ids, bus.LeaseTTL+30*time.Second, "every session WORKING on the survivor", onOwner(survivor))
	t.Logf("kill -9 %s (%d sessions): all back on %s %.1fs after the kill", victim, n, survivor, back.Sub(killed).Seconds())
	c.checkNoReplaced(base, "after kill -9")

	joined := c.addWorker()
	live := []string{survivor, joined}
	c.waitBalanced(time.Minute)
	c.waitWorking(ids, time.Minute, "every session WORKING on its rendezvous owner", func(id string, r session.Record) bool {
		return r.State.Owner == c.ownerOf(id, live)
	})
	c.checkNoReplaced(base, "after join")

	termed := time.Now()
	if code := c.workers[survivor].term(time.Minute); code != 0 {
		t.Errorf("SIGTERM: %s exited %d, want 0", survivor, code)
	}
	back = c.waitWorking(ids, time.Minute, "every session WORKING on the remaining worker", onOwner(joined))
	t.Logf("SIGTERM %s: drained and exited; all sessions on %s %.1fs after the signal", survivor, joined, back.Sub(termed).Seconds())
	c.checkNoReplaced(base, "after drain")

	accepted, lost := flow.stop(time.Minute)
	if len(lost) > 0 {
		t.Errorf("%d of %d accepted commands never applied, e.g. %s", len(lost), accepted, lost[0])
	}
	if accepted == 0 {
		t.Error("no command was accepted")
	}
}
