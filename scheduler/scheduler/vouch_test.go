package scheduler

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// TestShardLivenessVouches: a WORKING session whose own LastKeepalive is
// old is healthy while its owner's shard liveness record (same owner, same
// epoch) vouches for it; listed as stale, or vouched for under another
// epoch, it is restarted like a dead socket.
func TestShardLivenessVouches(t *testing.T) {
	e := newEnv(t)
	e.registerWorker(liveWorker)
	e.holdShards(0, 1, 2, 3)
	now := time.Now().UTC()
	old := func(s *session.State) {
		s.LastKeepalive, s.UpdatedAt = at(now.Add(-5*time.Minute)), now.Add(-5*time.Minute)
	}
	for _, r := range []session.Record{
		record("vouched", session.StatusWorking, now, old),
		record("listed-stale", session.StatusWorking, now, old),
		record("other-epoch", session.StatusWorking, now, func(s *session.State) { old(s); s.Epoch = 2 }),
	} {
		e.put(r)
	}
	s := e.scheduler(Config{ID: "s1", Interval: time.Second})
	for p := range s.cfg.Shards {
		b, _ := json.Marshal(session.ShardLiveness{Owner: liveWorker, Epoch: 1, At: now.Add(-10 * time.Second),
			Stale: []string{subject.SessionKey(testTenant, "listed-stale")}})
		if _, err := e.b.Liveness.Put(context.Background(), subject.LeaseKey(p), b); err != nil {
			t.Fatal(err)
		}
	}
	tickAt(t, s, now)
	var got []string
	for _, c := range e.commands() {
		got = append(got, c.Session)
	}
	sort.Strings(got)
	if want := "listed-stale,other-epoch"; strings.Join(got, ",") != want {
		t.Fatalf("restarted %v, want %s", got, want)
	}
}
