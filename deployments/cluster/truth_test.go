package cluster

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/bus"
)

// setFaults replaces the simulator's injected faults.
func (c *cluster) setFaults(stall bool) {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.api.do(ctx, http.MethodPost, "http://"+c.simCtl+"/faults", map[string]bool{"stall_handshakes": stall}, nil); err != nil {
		c.tb.Fatal(err)
	}
}

// TestStatusAfterKillNeverClaimsLoggedIn kills one of two workers with
// kill -9 while the simulator holds every new handshake back, so nobody can
// log the dead worker's sessions in again. The api may show them logged_in
// until their leases expire (nobody can know sooner); within 2 s of the
// expiry every one of them reads connecting, and none reads logged_in again
// until the survivor has it logged in.
func TestStatusAfterKillNeverClaimsLoggedIn(t *testing.T) {
	c := newCluster(t, options{workers: 2, apis: 1, shards: 8})
	ids := sessionIDs("truth", 8)
	recs := c.linkAll(ids, 4)
	base := c.stats()
	victim, _ := c.busiest(ids)
	var theirs []string
	for id, r := range recs {
		if r.State.Owner == victim {
			theirs = append(theirs, id)
		}
	}
	if len(theirs) == 0 {
		t.Fatalf("%s owns none of the sessions", victim)
	}
	c.setFaults(true)
	t.Cleanup(func() { c.setFaults(false) })
	killed := time.Now()
	c.workers[victim].kill()

	freed := func(id string) time.Time {
		_, at := c.obs.leaseTimes(c.shardOf(id))
		if at.Before(killed) {
			return time.Time{}
		}
		return at
	}
	connectingAt := map[string]time.Time{}
	ctx := context.Background()
	end := killed.Add(bus.LeaseTTL + 15*time.Second)
	for time.Now().Before(end) {
		allFreed := true
		for _, id := range theirs {
			st, err := c.api.status(ctx, id)
			now := time.Now()
			if err != nil {
				t.Fatal(err)
			}
			f := freed(id)
			if f.IsZero() {
				allFreed = false
				continue
			}
			if st == "logged_in" && now.After(f.Add(2*time.Second)) {
				t.Fatalf("%s reads logged_in %v after its lease expired, with handshakes stalled", id, now.Sub(f))
			}
			if st == "connecting" && connectingAt[id].IsZero() {
				connectingAt[id] = now
			}
		}
		if allFreed && len(connectingAt) == len(theirs) && time.Since(latest(theirs, freed)) > 3*time.Second {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, id := range theirs {
		f := freed(id)
		if f.IsZero() {
			t.Fatalf("lease of %s's shard never expired", id)
		}
		at := connectingAt[id]
		if at.IsZero() {
			t.Fatalf("%s never read connecting after its lease expired", id)
		}
		if d := at.Sub(f); d > 2*time.Second {
			t.Errorf("%s read connecting %v after its lease expired, want within 2 s", id, d)
		}
	}
	t.Logf("kill -9 %s: %d sessions read connecting within 2 s of their leases expiring", victim, len(theirs))

	// The simulator answers again: every session comes back on the survivor.
	c.setFaults(false)
	survivor := "worker-1"
	if victim == survivor {
		survivor = "worker-2"
	}
	c.waitWorking(ids, time.Minute, "every session WORKING on the survivor", onOwner(survivor))
	c.checkNoReplaced(base, "after kill -9")
}

// latest is the latest of at(id) over ids.
func latest(ids []string, at func(string) time.Time) time.Time {
	var out time.Time
	for _, id := range ids {
		if t := at(id); t.After(out) {
			out = t
		}
	}
	return out
}
