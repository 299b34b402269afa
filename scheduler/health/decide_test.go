package health_test

import (
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/scheduler/health"
	"github.com/switchboard-gw/switchboard/shared/session"
)

var (
	now   = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	rules = health.Rules{StuckAfter: time.Minute, KeepaliveTimeout: 90 * time.Second, MaxAttempts: 3, BaseBackoff: 10 * time.Minute}
)

func ago(d time.Duration) *time.Time { t := now.Add(-d); return &t }

func rec(status session.Status, mod func(*session.State)) session.Record {
	r := session.Record{Tenant: "t", ID: "s", Desired: session.DesiredRunning,
		State: session.State{Status: status, Owner: "w1", DeviceJID: "15550001111:1@s.whatsapp.net", UpdatedAt: now.Add(-10 * time.Second)}}
	if mod != nil {
		mod(&r.State)
	}
	return r
}

func TestDecide(t *testing.T) {
	restarted := health.Book{Attempts: 1, LastAt: now.Add(-5 * time.Minute), LastSweep: "old", Reason: health.ReasonFailed}
	tests := []struct {
		name      string
		rules     func(*health.Rules)
		rec       session.Record
		book      health.Book
		ownerDead bool
		noWorkers bool
		vouched   time.Time
		action    health.Action
		reason    health.Reason
		write     health.Write
	}{
		{name: "working healthy", rec: rec(session.StatusWorking, func(s *session.State) { s.LastKeepalive = ago(30 * time.Second) })},
		{name: "working healthy drops book", rec: rec(session.StatusWorking, nil), book: restarted, write: health.Delete},
		{name: "working keepalive stale", rec: rec(session.StatusWorking, func(s *session.State) {
			s.LastKeepalive, s.UpdatedAt = ago(5*time.Minute), now.Add(-5*time.Minute)
		}), action: health.Restart, reason: health.ReasonSocket, write: health.Put},
		{name: "working vouched by its shard's liveness record", vouched: now.Add(-20 * time.Second), rec: rec(session.StatusWorking, func(s *session.State) {
			s.LastKeepalive, s.UpdatedAt = ago(time.Hour), now.Add(-time.Hour)
		})},
		{name: "working last vouched too long ago", vouched: now.Add(-5 * time.Minute), rec: rec(session.StatusWorking, func(s *session.State) {
			s.LastKeepalive, s.UpdatedAt = ago(time.Hour), now.Add(-time.Hour)
		}), action: health.Restart, reason: health.ReasonSocket, write: health.Put},
		{name: "keepalive check off", rules: func(r *health.Rules) { r.KeepaliveTimeout = -1 }, rec: rec(session.StatusWorking, func(s *session.State) {
			s.LastKeepalive, s.UpdatedAt = ago(time.Hour), now.Add(-time.Hour)
		})},
		{name: "working owner gone", rec: rec(session.StatusWorking, nil), ownerDead: true,
			action: health.Restart, reason: health.ReasonOwnerGone, write: health.Put},
		{name: "stopped", rec: rec(session.StatusStopped, nil), action: health.Restart, reason: health.ReasonStopped, write: health.Put},
		{name: "failed replaced", rec: rec(session.StatusFailed, func(s *session.State) { s.LastError = "replaced" }),
			action: health.Restart, reason: health.ReasonFailed, write: health.Put},
		{name: "starting fresh", rec: rec(session.StatusStarting, nil)},
		{name: "starting stuck", rec: rec(session.StatusStarting, func(s *session.State) { s.UpdatedAt = now.Add(-61 * time.Second) }),
			action: health.Restart, reason: health.ReasonStuck, write: health.Put},
		{name: "starting retried but stuck since", rec: rec(session.StatusStarting, func(s *session.State) { s.StatusSince = now.Add(-61 * time.Second) }),
			action: health.Restart, reason: health.ReasonStuck, write: health.Put},
		{name: "starting since recently", rec: rec(session.StatusStarting, func(s *session.State) {
			s.StatusSince, s.UpdatedAt = now.Add(-30*time.Second), now.Add(-30*time.Second)
		})},
		{name: "connected stuck", rec: rec(session.StatusConnected, func(s *session.State) { s.UpdatedAt = now.Add(-2 * time.Minute) }),
			action: health.Restart, reason: health.ReasonStuck, write: health.Put},
		{name: "created never picked up", rec: rec(session.StatusCreated, func(s *session.State) { s.UpdatedAt = now.Add(-2 * time.Minute) }),
			action: health.Restart, reason: health.ReasonStuck, write: health.Put},
		{name: "new session pairing", rec: rec(session.StatusScanQR, func(s *session.State) { s.UpdatedAt, s.DeviceJID = now.Add(-time.Hour), "" })},
		{name: "re-pairing after a requested logout", rec: rec(session.StatusScanQR, func(s *session.State) { s.LastConnectedAt, s.DeviceJID = ago(time.Hour), "" })},
		{name: "qr for a linked device is a logout", rec: rec(session.StatusScanQR, func(s *session.State) { s.LastConnectedAt = ago(time.Hour) }),
			action: health.LoggedOut, reason: health.ReasonLoggedOut, write: health.Put},
		{name: "pair code for a linked device is a logout", rec: rec(session.StatusPairCode, nil),
			action: health.LoggedOut, reason: health.ReasonLoggedOut, write: health.Put},
		{name: "logged out by the phone", rec: rec(session.StatusLoggedOut, func(s *session.State) { s.DeviceJID, s.LastError = "", "device_removed" }),
			action: health.LoggedOut, reason: health.ReasonLoggedOut, write: health.Put},
		{name: "login refused", rec: rec(session.StatusLoggedOut, func(s *session.State) { s.DeviceJID, s.LastError = "", "login_refused: 401" }),
			action: health.LoggedOut, reason: health.ReasonLoggedOut, write: health.Put},
		{name: "requested logout", rec: rec(session.StatusLoggedOut, func(s *session.State) { s.DeviceJID = "" })},
		{name: "requested logout that failed half-way", rec: rec(session.StatusLoggedOut, func(s *session.State) { s.LastError = "logout: timeout" })},
		{name: "never linked failed", rec: rec(session.StatusFailed, func(s *session.State) { s.DeviceJID, s.LastError = "", "pair_error: x" })},
		{name: "never linked qr timeout", rec: rec(session.StatusStopped, func(s *session.State) { s.DeviceJID, s.LastError = "", "qr_timeout" })},
		{name: "logged out reported once", rec: rec(session.StatusLoggedOut, func(s *session.State) { s.LastConnectedAt, s.LastError = ago(time.Hour), "device_removed" }),
			book: health.Book{LoggedOut: health.LogoutKey(session.State{LastConnectedAt: ago(time.Hour)})}, reason: health.ReasonLoggedOut},
		{name: "desired stopped ignored", rec: func() session.Record {
			r := rec(session.StatusFailed, nil)
			r.Desired = session.DesiredStopped
			return r
		}()},
		{name: "desired stopped drops book", rec: func() session.Record {
			r := rec(session.StatusFailed, nil)
			r.Desired = session.DesiredStopped
			return r
		}(),
			book: restarted, write: health.Delete},
		{name: "no workers defers", rec: rec(session.StatusFailed, nil), noWorkers: true, action: health.Defer, reason: health.ReasonFailed},
		{name: "backoff", rec: rec(session.StatusFailed, nil), book: restarted, action: health.Backoff, reason: health.ReasonFailed},
		{name: "backoff elapsed", rec: rec(session.StatusFailed, nil),
			book:   health.Book{Attempts: 1, LastAt: now.Add(-11 * time.Minute), LastSweep: "old"},
			action: health.Restart, reason: health.ReasonFailed, write: health.Put},
		{name: "second attempt waits double", rec: rec(session.StatusFailed, nil),
			book:   health.Book{Attempts: 2, LastAt: now.Add(-15 * time.Minute), LastSweep: "old"},
			action: health.Backoff, reason: health.ReasonFailed},
		{name: "cap gives up", rec: rec(session.StatusFailed, nil),
			book:   health.Book{Attempts: 3, LastAt: now.Add(-41 * time.Minute), LastSweep: "old"},
			action: health.GiveUp, reason: health.ReasonFailed, write: health.Put},
		{name: "given up stays", rec: rec(session.StatusFailed, nil),
			book:   health.Book{Attempts: 3, LastAt: now.Add(-time.Hour), GivenUpAt: now.Add(-time.Minute)},
			reason: health.ReasonFailed},
		{name: "login after restart resets", rec: rec(session.StatusFailed, func(s *session.State) { s.LastConnectedAt = ago(time.Minute) }),
			book:   health.Book{Attempts: 3, LastAt: now.Add(-time.Hour), GivenUpAt: now.Add(-30 * time.Minute)},
			action: health.Restart, reason: health.ReasonFailed, write: health.Put},
		{name: "same sweep re-issues without counting", rec: rec(session.StatusFailed, nil),
			book:   health.Book{Attempts: 1, LastAt: now, LastSweep: "sweep-1"},
			action: health.Restart, reason: health.ReasonFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rules
			if tc.rules != nil {
				tc.rules(&r)
			}
			v := health.Decide(r, health.Input{Record: tc.rec, Book: tc.book, Now: now, Sweep: "sweep-1",
				OwnerLive: !tc.ownerDead, WorkersLive: !tc.noWorkers, VouchedAt: tc.vouched})
			if v.Action != tc.action || v.Reason != tc.reason || v.Write != tc.write {
				t.Fatalf("got %v/%q/write %d, want %v/%q/write %d", v.Action, v.Reason, v.Write, tc.action, tc.reason, tc.write)
			}
		})
	}
}

// TestCapSequence walks one always-failing session through every sweep: it
// is restarted MaxAttempts times with doubling gaps, then given up once.
func TestCapSequence(t *testing.T) {
	r := health.Rules{StuckAfter: time.Minute, KeepaliveTimeout: time.Minute, MaxAttempts: 3, BaseBackoff: 15 * time.Minute}
	var (
		book     health.Book
		restarts []int
		gaveUp   []int
	)
	for i := 0; i < 40; i++ { // one sweep every 15 minutes for 10 hours
		at := now.Add(time.Duration(i) * 15 * time.Minute)
		v := health.Decide(r, health.Input{Record: rec(session.StatusFailed, nil), Book: book, Now: at,
			Sweep: "sweep-" + at.Format("1504"), OwnerLive: true, WorkersLive: true})
		switch v.Action {
		case health.Restart:
			restarts = append(restarts, i)
		case health.GiveUp:
			gaveUp = append(gaveUp, i)
		}
		book = v.Book
	}
	// Gaps of 1, 2 and 4 intervals after restarts at sweeps 0, 1 and 3.
	if want := []int{0, 1, 3}; !equal(restarts, want) {
		t.Fatalf("restarts at sweeps %v, want %v", restarts, want)
	}
	if want := []int{7}; !equal(gaveUp, want) {
		t.Fatalf("gave up at sweeps %v, want %v", gaveUp, want)
	}
}

func TestBackoff(t *testing.T) {
	r := health.Rules{BaseBackoff: time.Second}
	for n, want := range map[int]time.Duration{0: 0, 1: time.Second, 2: 2 * time.Second, 5: 16 * time.Second, 1000: time.Second << 16} {
		if got := r.Backoff(n); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, want)
		}
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
