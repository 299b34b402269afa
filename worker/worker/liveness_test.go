package worker_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/wasim"
	"github.com/switchboard-gw/switchboard/worker/worker"
)

// TestLiveness: while a session is WORKING on a healthy socket the worker
// rewrites its LastKeepalive every period, without moving StatusSince; once
// its keepalives fail it writes none (so the scheduler sees it stale), and
// after whatsmeow's KeepAliveMaxFailTime it reconnects through the pacer,
// keeping its device.
func TestLiveness(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	const period = 1200 * time.Millisecond
	e.startWorkerConfig("w1", func(c *worker.Config) { c.LivenessPeriod = period }, nil)
	linked, _ := e.link("alive")
	first := *linked.State.LastKeepalive
	if linked.State.StatusSince.IsZero() {
		t.Fatal("status_since not set")
	}
	rec := e.waitState("alive", "liveness writes", func(r session.Record) bool {
		return r.State.LastKeepalive != nil && r.State.LastKeepalive.Sub(first) >= period
	})
	if !rec.State.StatusSince.Equal(linked.State.StatusSince) || rec.State.Status != session.StatusWorking {
		t.Errorf("liveness write moved status_since %v → %v", linked.State.StatusSince, rec.State.StatusSince)
	}
	pairings := sim.Stats().Pairings

	// Keepalive replies now come after whatsmeow's deadline.
	if err := sim.SetFaults(wasim.Faults{ReplyDelayMS: 5000}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.SetFaults(wasim.Faults{}) })
	var failedAt *time.Time
	e.waitState("alive", "STARTING after keepalive failures", func(r session.Record) bool {
		st := r.State
		if !strings.HasPrefix(st.LastError, "keepalive_timeout") {
			return false
		}
		if failedAt == nil {
			failedAt = st.LastKeepalive
		} else if st.LastKeepalive != nil && st.LastKeepalive.After(*failedAt) {
			t.Errorf("last_keepalive written at %v while keepalives fail", st.LastKeepalive)
		}
		return st.Status == session.StatusStarting
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
