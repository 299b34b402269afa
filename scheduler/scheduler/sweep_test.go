package scheduler

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// TestSweepRules puts one session per rule into KV and checks what one
// sweep publishes.
func TestSweepRules(t *testing.T) {
	e := newEnv(t)
	e.registerWorker(liveWorker)
	e.holdShards(0, 1, 2) // shard 3 has no owner
	now := time.Now().UTC()
	for _, r := range []session.Record{
		record("replaced", session.StatusFailed, now, func(s *session.State) { s.LastError = "conflict: replaced" }),
		record("stopped", session.StatusStopped, now, nil),
		record("stuck", session.StatusStarting, now, func(s *session.State) { s.UpdatedAt = now.Add(-61 * time.Second) }),
		record("connecting", session.StatusStarting, now, nil),
		record("healthy", session.StatusWorking, now, func(s *session.State) { s.LastKeepalive = at(now.Add(-10 * time.Second)) }),
		record("dead-socket", session.StatusWorking, now, func(s *session.State) {
			s.LastKeepalive, s.UpdatedAt = at(now.Add(-5*time.Minute)), now.Add(-5*time.Minute)
		}),
		record("owner-gone", session.StatusWorking, now, func(s *session.State) { s.Owner = "w-dead" }),
		record("logged-out", session.StatusLoggedOut, now, func(s *session.State) { s.DeviceJID, s.LastError = "", "device_removed" }),
		record("unlinked", session.StatusScanQR, now, nil), // a QR for a device the state still names
		record("pairing", session.StatusScanQR, now, func(s *session.State) { s.UpdatedAt, s.DeviceJID, s.LastConnectedAt = now.Add(-time.Hour), "", nil }),
		record("logout-asked", session.StatusLoggedOut, now, func(s *session.State) { s.DeviceJID = "" }),
		record("never-linked", session.StatusStopped, now, func(s *session.State) { s.DeviceJID, s.LastError = "", "qr_timeout" }),
		func() session.Record {
			r := record("parked", session.StatusFailed, now, nil)
			r.Desired = session.DesiredStopped
			return r
		}(),
	} {
		e.put(r)
	}
	s := e.scheduler(Config{ID: "s1", Interval: time.Second})
	res := tickAt(t, s, now)

	want := []string{"dead-socket", "owner-gone", "replaced", "stopped", "stuck"}
	var got []string
	for _, c := range e.commands() {
		if c.Verb != command.Restart || c.ID != CommandID(res.SweepID, c.Tenant, c.Session) {
			t.Errorf("command %+v: want a restart with id %s", c, CommandID(res.SweepID, c.Tenant, c.Session))
		}
		got = append(got, c.Session)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("restarted %v, want %v", got, want)
	}
	outs := e.events(event.LoggedOut)
	for _, sess := range []string{"logged-out", "unlinked"} {
		if _, ok := outs[subject.Event(testTenant, sess, string(event.LoggedOut))]; !ok {
			t.Errorf("no logout event for %s: %v", sess, outs)
		}
	}
	if len(outs) != 2 {
		t.Errorf("logout events %v, want 2", outs)
	}
	orphans := e.events(event.ShardOrphaned)
	if _, ok := orphans[subject.Event(systemTenant, "shard-3", string(event.ShardOrphaned))]; !ok || len(orphans) != 1 {
		t.Errorf("orphan events %v, want shard 3 only", orphans)
	}
	if res.Checked != 13 || res.Restarted != 5 || res.LoggedOut != 2 || res.Orphans != 1 || res.Errors != 0 {
		t.Errorf("result %+v", res)
	}

	// The next tick reports neither logout again and restarts nothing new
	// (the five are backing off).
	res = tickAt(t, s, now.Add(s.cfg.Interval))
	if res.Restarted != 0 || res.LoggedOut != 0 || res.BackingOff != 5 {
		t.Errorf("second sweep %+v", res)
	}
	if n := len(e.events(event.LoggedOut)); n != 2 {
		t.Errorf("%d logout events after two sweeps, want 2", n)
	}

	rec := httptest.NewRecorder()
	s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range []string{
		"switchboard_scheduler_sessions_checked_total 26",
		"switchboard_scheduler_sessions_restarted_total 5",
		"switchboard_scheduler_sessions_logged_out_total 2",
		`switchboard_scheduler_sweeps_total{outcome="done"} 2`,
		"switchboard_scheduler_sweep_duration_seconds_count 2",
	} {
		if !strings.Contains(rec.Body.String(), line) {
			t.Errorf("metrics lack %q", line)
		}
	}
}

// TestRepeatedTickRestartsOnce runs the same tick again: once skipped by
// the sweep.last claim, and once with the claim removed, where the
// deterministic command id makes JetStream drop the second restart.
func TestRepeatedTickRestartsOnce(t *testing.T) {
	e := newEnv(t)
	e.registerWorker(liveWorker)
	now := time.Now().UTC()
	e.holdShards(0, 1, 2, 3)
	e.put(record("flaky", session.StatusFailed, now, nil))
	s := e.scheduler(Config{ID: "s1"})

	first := tickAt(t, s, now)
	if first.Restarted != 1 {
		t.Fatalf("first sweep %+v", first)
	}
	again := tickAt(t, s, now.Add(time.Second)) // same interval, same tick
	if !again.Skipped || again.SweepID != first.SweepID {
		t.Fatalf("repeated tick %+v, want skipped %s", again, first.SweepID)
	}
	state, err := s.stateKV(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := state.Delete(context.Background(), lastSweepKey); err != nil {
		t.Fatal(err)
	}
	redo := tickAt(t, s, now)
	if redo.Skipped || redo.Restarted != 0 || redo.Duplicates != 1 {
		t.Fatalf("re-run tick %+v, want one duplicate and no restart", redo)
	}
	if n := len(e.commands()); n != 1 {
		t.Fatalf("%d commands in %s, want 1", n, subject.CommandStream)
	}
	if b, _ := e.book(s, "flaky"); b.Attempts != 1 {
		t.Fatalf("book %+v, want one attempt", b)
	}
}

// TestBackoffCapAndGiveUp fails a session after every restart: it gets
// MaxAttempts restarts with doubling gaps, then one RestartGivenUp event,
// then nothing; a login resets the count.
func TestBackoffCapAndGiveUp(t *testing.T) {
	e := newEnv(t)
	e.registerWorker(liveWorker)
	t0 := time.Now().UTC().Truncate(time.Minute)
	failed := record("doomed", session.StatusFailed, t0, func(s *session.State) { s.LastError = "connect: handshake failed" })
	e.put(failed)
	s := e.scheduler(Config{ID: "s1", Interval: time.Minute, MaxAttempts: 3, BaseBackoff: time.Minute})

	var restarts, gaveUp []int
	for k := 0; k < 12; k++ {
		res := tickAt(t, s, t0.Add(time.Duration(k)*time.Minute))
		if res.Restarted > 0 {
			restarts = append(restarts, k)
		}
		if res.GivenUp > 0 {
			gaveUp = append(gaveUp, k)
		}
	}
	// Gaps of 1, 2 and 4 minutes after restarts at minutes 0, 1 and 3.
	if fmt.Sprint(restarts) != "[0 1 3]" || fmt.Sprint(gaveUp) != "[7]" {
		t.Fatalf("restarts at %v and gave up at %v, want [0 1 3] and [7]", restarts, gaveUp)
	}
	if n := len(e.commands()); n != 3 {
		t.Fatalf("%d restart commands, want 3", n)
	}
	ups := e.events(event.RestartGivenUp)
	up, ok := ups[subject.Event(testTenant, "doomed", string(event.RestartGivenUp))]
	if !ok || len(ups) != 1 || !strings.Contains(string(up.Data), "handshake failed") {
		t.Fatalf("given-up events %v", ups)
	}

	// The session logs in again: the count starts over.
	tl := t0.Add(12 * time.Minute)
	e.put(record("doomed", session.StatusWorking, tl, func(s *session.State) { s.LastConnectedAt, s.LastKeepalive = at(tl), at(tl) }))
	tickAt(t, s, tl)
	if _, ok := e.book(s, "doomed"); ok {
		t.Fatal("book kept after the session reached WORKING")
	}
	e.put(record("doomed", session.StatusFailed, tl, func(s *session.State) { s.LastConnectedAt = at(tl) }))
	if res := tickAt(t, s, tl.Add(time.Minute)); res.Restarted != 1 {
		t.Fatalf("after a login the session is not restarted again: %+v", res)
	}
}

// TestNoLiveWorkerDefers keeps restarts back while no worker could apply
// them, so they neither pile up in WA_CMD nor burn attempts.
func TestNoLiveWorkerDefers(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	e.put(record("waiting", session.StatusFailed, now, nil))
	s := e.scheduler(Config{ID: "s1"})
	res := tickAt(t, s, now)
	if res.Deferred != 1 || res.Restarted != 0 || len(e.commands()) != 0 {
		t.Fatalf("result %+v with %d commands, want one deferred and none", res, len(e.commands()))
	}
	if res.Orphans != testShards {
		t.Errorf("%d orphans, want %d", res.Orphans, testShards)
	}
}

// TestDeletedSessionDropsBook removes the book of a session that is gone.
func TestDeletedSessionDropsBook(t *testing.T) {
	e := newEnv(t)
	e.registerWorker(liveWorker)
	now := time.Now().UTC()
	e.put(record("gone", session.StatusFailed, now, nil))
	s := e.scheduler(Config{ID: "s1"})
	tickAt(t, s, now)
	if _, ok := e.book(s, "gone"); !ok {
		t.Fatal("no book after a restart")
	}
	if err := e.b.Sessions.Delete(context.Background(), subject.SessionKey(testTenant, "gone")); err != nil {
		t.Fatal(err)
	}
	tickAt(t, s, now.Add(s.cfg.Interval))
	if _, ok := e.book(s, "gone"); ok {
		t.Fatal("book kept for a deleted session")
	}
}

// TestConcurrentSweepsClaimOnce races two replicas (as in a split brain) on
// the same tick: the sweep.last CAS lets exactly one of them handle it.
func TestConcurrentSweepsClaimOnce(t *testing.T) {
	e := newEnv(t)
	e.registerWorker(liveWorker)
	e.holdShards(0, 1, 2, 3)
	now := time.Now().UTC()
	e.put(record("flaky", session.StatusFailed, now, nil))
	a, b := e.scheduler(Config{ID: "a"}), e.scheduler(Config{ID: "b"})
	for i := 0; i < 5; i++ {
		tick := now.Add(time.Duration(i) * a.cfg.Interval)
		results := make(chan SweepResult, 2)
		for _, s := range []*Scheduler{a, b} {
			go func() {
				res, err := s.sweep(context.Background(), s.boundary(tick))
				if err != nil {
					t.Error(err)
				}
				results <- res
			}()
		}
		r1, r2 := <-results, <-results
		if r1.Skipped == r2.Skipped {
			t.Fatalf("tick %d: skipped %v and %v, want exactly one handled", i, r1.Skipped, r2.Skipped)
		}
	}
}
