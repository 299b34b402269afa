package sweep

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/scheduler/scheduler"
	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
	"github.com/switchboard-gw/switchboard/shared/wasim"
)

const interval = 2 * time.Second

// TestReplacedSessionComesBack: WhatsApp replaces the connection, the
// worker reports FAILED "replaced" (whatsmeow does not reconnect after it),
// and the next sweep restarts it with the same device.
func TestReplacedSessionComesBack(t *testing.T) {
	e := newEnv(t)
	linked := e.link("replaced")
	pairings := sim.Stats().Pairings
	e.startScheduler(scheduler.Config{Interval: interval})

	if err := sim.Replace(e.ctx, linked.State.DeviceJID); err != nil {
		t.Fatal(err)
	}
	failed := e.waitState("replaced", "FAILED replaced", func(r session.Record) bool {
		return r.State.Status == session.StatusFailed && r.State.LastError == "replaced"
	})
	back := e.waitState("replaced", "WORKING after a sweep restart", func(r session.Record) bool {
		return r.State.Status == session.StatusWorking && strings.HasPrefix(r.State.Command, "sweep/")
	})
	if took := back.State.UpdatedAt.Sub(failed.State.UpdatedAt); took > 2*interval+10*time.Second {
		t.Errorf("came back %v after FAILED, want by the next sweep (%v)", took, interval)
	}
	if back.State.DeviceJID != linked.State.DeviceJID || sim.Stats().Pairings != pairings {
		t.Errorf("came back as %s with %d new pairings, want %s and none",
			back.State.DeviceJID, sim.Stats().Pairings-pairings, linked.State.DeviceJID)
	}
}

// TestStuckConnectingRestarted: the simulator stalls handshakes, so the
// dropped session's reconnect hangs in STARTING; the sweep restarts it once
// it has been connecting for StuckAfter, and not before.
func TestStuckConnectingRestarted(t *testing.T) {
	e := newEnv(t)
	linked := e.link("stuck")
	restarts := e.capture(subject.Command(tenant, "stuck", string(command.Restart)))
	if err := sim.SetFaults(wasim.Faults{StallHandshakes: true}); err != nil {
		t.Fatal(err)
	}
	if err := sim.Drop(e.ctx, linked.State.DeviceJID); err != nil {
		t.Fatal(err)
	}
	starting := e.waitState("stuck", "STARTING", func(r session.Record) bool { return r.State.Status == session.StatusStarting })
	const stuckAfter = 5 * time.Second
	e.startScheduler(scheduler.Config{Interval: time.Second, StuckAfter: stuckAfter, BaseBackoff: time.Second})

	eventually(t, stuckAfter+10*time.Second, "restart of the stuck session", func() bool { return len(restarts.all()) > 0 })
	cmd := restarts.commands(t)[0]
	if !strings.Contains(cmd.Reason, "stuck_connecting") {
		t.Errorf("restart reason %q, want stuck_connecting", cmd.Reason)
	}
	if waited := cmd.IssuedAt.Sub(starting.State.UpdatedAt); waited < stuckAfter {
		t.Errorf("restarted %v after STARTING, before StuckAfter %v", waited, stuckAfter)
	}
	// With handshakes answered again, the scheduler's restarts bring it back.
	if err := sim.SetFaults(wasim.Faults{}); err != nil {
		t.Fatal(err)
	}
	e.waitState("stuck", "WORKING", func(r session.Record) bool {
		return r.State.Status == session.StatusWorking && strings.HasPrefix(r.State.Command, "sweep/")
	})
}

// TestLoggedOutReportedNotRestarted: the phone removes the device; the
// sweep publishes session_logged_out once and never restarts the session.
func TestLoggedOutReportedNotRestarted(t *testing.T) {
	e := newEnv(t)
	linked := e.link("unlinked")
	restarts := e.capture(subject.Command(tenant, "unlinked", string(command.Restart)))
	logouts := e.capture(subject.Event(tenant, "unlinked", string(event.LoggedOut)))
	e.startScheduler(scheduler.Config{Interval: time.Second})

	if err := sim.Logout(e.ctx, linked.State.DeviceJID); err != nil {
		t.Fatal(err)
	}
	e.waitState("unlinked", "LOGGED_OUT", func(r session.Record) bool { return r.State.Status == session.StatusLoggedOut })
	fromScheduler := func() int {
		n := 0
		for _, env := range logouts.events(t) {
			var d scheduler.LoggedOutData
			if json.Unmarshal(env.Data, &d) == nil && d.Source == "scheduler" {
				n++
			}
		}
		return n
	}
	eventually(t, 10*time.Second, "scheduler logout event", func() bool { return fromScheduler() > 0 })
	time.Sleep(4 * time.Second) // four more sweeps
	if n := fromScheduler(); n != 1 {
		t.Errorf("%d scheduler logout events, want 1", n)
	}
	if n := len(restarts.all()); n != 0 {
		t.Errorf("%d restarts of a logged-out session", n)
	}
}

// TestFailingSessionStopsAtCap: every connection is refused, so every
// restart fails (the linked session keeps retrying in STARTING, stuck since
// its first restart); after MaxAttempts restarts the scheduler sends
// RestartGivenUp once and leaves the session to its background retries.
func TestFailingSessionStopsAtCap(t *testing.T) {
	e := newEnv(t)
	linked := e.link("doomed")
	restarts := e.capture(subject.Command(tenant, "doomed", string(command.Restart)))
	givenUp := e.capture(subject.Event(tenant, "doomed", string(event.RestartGivenUp)))
	if err := sim.SetFaults(wasim.Faults{RefuseConnections: true}); err != nil {
		t.Fatal(err)
	}
	if err := sim.Replace(e.ctx, linked.State.DeviceJID); err != nil {
		t.Fatal(err)
	}
	e.waitState("doomed", "FAILED", func(r session.Record) bool { return r.State.Status == session.StatusFailed })
	const attempts = 3
	e.startScheduler(scheduler.Config{Interval: time.Second, MaxAttempts: attempts, BaseBackoff: 500 * time.Millisecond,
		StuckAfter: 2 * time.Second})

	eventually(t, 30*time.Second, "RestartGivenUp", func() bool { return len(givenUp.all()) > 0 })
	time.Sleep(3 * time.Second) // more sweeps: nothing further may happen
	if n := len(restarts.all()); n != attempts {
		t.Errorf("%d restarts, want %d", n, attempts)
	}
	if n := len(givenUp.all()); n != 1 {
		t.Errorf("%d RestartGivenUp events, want 1", n)
	}
	rec := e.waitState("doomed", "still down", func(session.Record) bool { return true })
	if rec.State.Status == session.StatusWorking || rec.State.LastError == "" {
		t.Errorf("state %s %q, want down with its reason", rec.State.Status, rec.State.LastError)
	}
	var d scheduler.GivenUpData
	if err := json.Unmarshal(givenUp.events(t)[0].Data, &d); err != nil || d.Attempts != attempts || d.LastError == "" {
		t.Errorf("given-up data %+v (%v)", d, err)
	}
}
