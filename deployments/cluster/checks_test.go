package cluster

import (
	"fmt"
	"slices"
	"time"

	"github.com/switchboard-gw/switchboard/shared/lease"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/shard"
	"github.com/switchboard-gw/switchboard/shared/subject"
	"github.com/switchboard-gw/switchboard/shared/wasim"
)

// shardOf is the shard of one of the test's sessions.
func (c *cluster) shardOf(id string) int { return shard.Of(tenant, id, c.opt.shards) }

// ownerOf is the rendezvous owner of session id among workers.
func (c *cluster) ownerOf(id string, workers []string) string {
	return lease.Rendezvous(subject.LeaseKey(c.shardOf(id)), workers)
}

// busiest is the running worker that owns the most of ids, per the state.
func (c *cluster) busiest(ids []string) (string, int) {
	count := map[string]int{}
	for _, id := range ids {
		if r, ok := c.obs.record(id); ok {
			count[r.State.Owner]++
		}
	}
	best, n := "", -1
	for _, w := range c.liveWorkers() {
		if count[w] > n || (count[w] == n && w < best) {
			best, n = w, count[w]
		}
	}
	return best, n
}

// waitWorking waits until every session of ids is WORKING and accepted by
// ok, and returns when the last of them became WORKING (observer clock).
func (c *cluster) waitWorking(ids []string, within time.Duration, what string, ok func(id string, r session.Record) bool) time.Time {
	c.tb.Helper()
	eventually(c.tb, within, what, func() (bool, string) {
		bad := 0
		var example string
		for _, id := range ids {
			r, found := c.obs.record(id)
			if !found || r.State.Status != session.StatusWorking || !ok(id, r) {
				bad++
				if example == "" {
					example = fmt.Sprintf("%s: %s on %q (%s)", id, r.State.Status, r.State.Owner, r.State.LastError)
				}
			}
		}
		return bad == 0, fmt.Sprintf("%d of %d not yet, e.g. %s", bad, len(ids), example)
	})
	var last time.Time
	for _, id := range ids {
		if at := c.obs.sinceWorking(id); at.After(last) {
			last = at
		}
	}
	return last
}

// onOwner accepts a session whose state names one of workers as owner.
func onOwner(workers ...string) func(string, session.Record) bool {
	return func(_ string, r session.Record) bool { return slices.Contains(workers, r.State.Owner) }
}

// checkNoReplaced fails the test when the simulator replaced a connection
// or paired a device since base: a device connected from two workers, or a
// session that needed a new QR.
func (c *cluster) checkNoReplaced(base wasim.Stats, when string) {
	c.tb.Helper()
	st := c.stats()
	if st.Replaced != base.Replaced {
		c.tb.Errorf("%s: %d connections replaced (a device connected from two workers)", when, st.Replaced-base.Replaced)
	}
	if st.Pairings != base.Pairings {
		c.tb.Errorf("%s: %d new pairings (a session needed a new QR)", when, st.Pairings-base.Pairings)
	}
}
