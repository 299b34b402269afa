package worker_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/shard"
	"github.com/switchboard-gw/switchboard/shared/subject"
	"github.com/switchboard-gw/switchboard/shared/wasim"
	"github.com/switchboard-gw/switchboard/worker/worker"
)

// TestLiveness: while a session is WORKING on a healthy socket the worker
// vouches for it in its shard's liveness record (one write per shard, the
// session's own record untouched: StatusSince and LastKeepalive stay); once
// its keepalives fail the record lists it as stale (so the scheduler sees
// it stale), and after whatsmeow's KeepAliveMaxFailTime it reconnects
// through the pacer, keeping its device.
func TestLiveness(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	const period = 1200 * time.Millisecond
	e.startWorkerConfig("w1", func(c *worker.Config) { c.LivenessPeriod = period }, nil)
	linked, _ := e.link("alive")
	if linked.State.StatusSince.IsZero() {
		t.Fatal("status_since not set")
	}
	key := subject.SessionKey(tenant, "alive")
	liveKey := subject.LeaseKey(shard.Of(tenant, "alive", testShards))
	liveness := func(en jetstream.KeyValueEntry) session.ShardLiveness {
		var l session.ShardLiveness
		if en != nil {
			_ = json.Unmarshal(en.Value(), &l)
		}
		return l
	}
	var first time.Time
	e.watchUntil(e.b.Liveness, liveKey, "two liveness records vouching for the session", func(en jetstream.KeyValueEntry) bool {
		l := liveness(en)
		if l.Owner != "w1" || l.Epoch != linked.State.Epoch || slices.Contains(l.Stale, key) {
			return false
		}
		if first.IsZero() {
			first = l.At
		}
		return l.At.Sub(first) >= period/3
	})
	rec := e.waitState("alive", "record as linked", func(session.Record) bool { return true })
	if !rec.State.StatusSince.Equal(linked.State.StatusSince) || rec.State.Status != session.StatusWorking ||
		!rec.State.LastKeepalive.Equal(*linked.State.LastKeepalive) {
		t.Errorf("liveness rewrote the session record: %+v → %+v", linked.State, rec.State)
	}
	pairings := sim.Stats().Pairings

	// Keepalive replies now come after whatsmeow's deadline.
	if err := sim.SetFaults(wasim.Faults{ReplyDelayMS: 5000}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.SetFaults(wasim.Faults{}) })
	e.watchUntil(e.b.Liveness, liveKey, "the session listed as stale", func(en jetstream.KeyValueEntry) bool {
		return slices.Contains(liveness(en).Stale, key)
	})
	e.waitState("alive", "STARTING after keepalive failures", func(r session.Record) bool {
		return strings.HasPrefix(r.State.LastError, "keepalive_timeout") && r.State.Status == session.StatusStarting
	})
	if err := sim.SetFaults(wasim.Faults{}); err != nil {
		t.Fatal(err)
	}
	back := e.waitState("alive", "WORKING after the reconnect", func(r session.Record) bool {
		return r.State.Status == session.StatusWorking && r.State.LastConnectedAt.After(*linked.State.LastConnectedAt)
	})
	if back.State.DeviceJID != linked.State.DeviceJID || sim.Stats().Pairings != pairings {
		t.Errorf("came back as %s with %d new pairings", back.State.DeviceJID, sim.Stats().Pairings-pairings)
	}
}

// TestRestartsArePaced: restart commands reconnect through the worker's
// pacer, one slot each, and keep the device linked throughout.
func TestRestartsArePaced(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	const rate = 2.0 // a slot every 500 ms
	e.startWorkerConfig("w1", func(c *worker.Config) { c.ReconnectRate, c.ReconnectBurst = rate, 1 }, nil)
	const n = 4
	linked := map[string]session.Record{}
	for i := range n {
		id := fmt.Sprintf("paced-%d", i)
		linked[id], _ = e.link(id)
	}
	for id := range linked {
		e.send(id, command.Restart)
	}
	var at []time.Time
	for id, before := range linked {
		rec := e.waitState(id, "WORKING after restart", func(r session.Record) bool {
			return r.State.Status == session.StatusWorking && r.State.LastConnectedAt.After(*before.State.LastConnectedAt)
		})
		if rec.State.DeviceJID != before.State.DeviceJID {
			t.Errorf("%s came back as %s, want %s", id, rec.State.DeviceJID, before.State.DeviceJID)
		}
		at = append(at, *rec.State.LastConnectedAt)
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	// Release k comes in slot k, somewhere inside it: n releases span at
	// least n-2 whole slots.
	if span, least := at[n-1].Sub(at[0]), time.Duration(float64(n-2)/rate*float64(time.Second)); span < least {
		t.Errorf("%d restarts reconnected within %v, want at least %v at %v/s", n, span, least, rate)
	}
}
