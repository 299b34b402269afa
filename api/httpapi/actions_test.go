package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

func TestLifecycleActions(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "s1"})
	if cmd := e.nextCommand(); cmd.Verb != command.Start {
		t.Fatalf("create published %s", cmd.Verb)
	}
	for _, tc := range []struct {
		action  string
		verb    command.Verb
		desired session.Desired
	}{
		{"disconnect", command.Stop, session.DesiredStopped},
		{"connect", command.Start, session.DesiredRunning},
		{"disconnect", command.Stop, session.DesiredStopped},
		{"restart", command.Restart, session.DesiredRunning},
		{"logout", command.Logout, session.DesiredRunning},
	} {
		r := e.call("POST", "/api/v1/sessions/s1/"+tc.action, keyA, nil)
		mustStatus(t, r, http.StatusOK)
		m := r.json(t)
		if m["success"] != true || m["session"].(map[string]any)["id"] != "s1" || m["command_id"] == "" {
			t.Errorf("%s: %s", tc.action, r.body)
		}
		cmd := e.nextCommand()
		if cmd.Verb != tc.verb || cmd.ID != m["command_id"] || cmd.Session != "s1" || cmd.Tenant != tenantA {
			t.Errorf("%s published %+v", tc.action, cmd)
		}
		if rec, _ := e.record(tenantA, "s1"); rec.Desired != tc.desired {
			t.Errorf("%s: desired %s, want %s", tc.action, rec.Desired, tc.desired)
		}
	}
	for _, action := range []string{"connect", "disconnect", "restart", "logout"} {
		r := e.call("POST", "/api/v1/sessions/missing/"+action, keyA, nil)
		if r.status != http.StatusNotFound || r.errCode() != "session_not_found" {
			t.Errorf("%s missing: %d %s", action, r.status, r.body)
		}
	}
}

func TestIdempotencyKeyPublishesOnce(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "s1"})
	e.create(keyB, map[string]any{"id": "s1"})
	base := e.commandCount()
	first := e.call("POST", "/api/v1/sessions/s1/restart", keyA, nil, "Idempotency-Key", "k-1")
	second := e.call("POST", "/api/v1/sessions/s1/restart", keyA, nil, "Idempotency-Key", "k-1")
	mustStatus(t, first, http.StatusOK)
	mustStatus(t, second, http.StatusOK)
	if first.json(t)["command_id"] != second.json(t)["command_id"] {
		t.Errorf("command ids differ: %s vs %s", first.body, second.body)
	}
	if n := e.commandCount() - base; n != 1 {
		t.Fatalf("same key published %d commands, want 1", n)
	}
	// The key is scoped by verb, tenant and session.
	e.call("POST", "/api/v1/sessions/s1/disconnect", keyA, nil, "Idempotency-Key", "k-1")
	e.call("POST", "/api/v1/sessions/s1/restart", keyB, nil, "Idempotency-Key", "k-1")
	e.call("POST", "/api/v1/sessions/s1/restart", keyA, nil, "Idempotency-Key", "k-2")
	if n := e.commandCount() - base; n != 4 {
		t.Fatalf("%d commands, want 4", n)
	}
	// Without a key every request is a new command.
	e.call("POST", "/api/v1/sessions/s1/restart", keyA, nil)
	e.call("POST", "/api/v1/sessions/s1/restart", keyA, nil)
	if n := e.commandCount() - base; n != 6 {
		t.Fatalf("%d commands, want 6", n)
	}
	r := e.call("POST", "/api/v1/sessions/s1/restart", keyA, nil, "Idempotency-Key", "bad key")
	if r.status != http.StatusBadRequest {
		t.Errorf("control characters in key: %d", r.status)
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "gone", "name": "Old"})
	r := e.call("DELETE", "/api/v1/sessions/gone", keyA, nil)
	mustStatus(t, r, http.StatusOK)
	if m := r.json(t); m["success"] != true || m["message"] != "Session deleted" {
		t.Errorf("body %s", r.body)
	}
	for _, p := range []string{"/api/v1/sessions/gone", "/api/v1/sessions/gone/status"} {
		mustStatus(t, e.call("GET", p, keyA, nil), http.StatusNotFound)
	}
	if total := e.call("GET", "/api/v1/sessions", keyA, nil).json(t)["total"]; total != 0.0 {
		t.Errorf("deleted session listed: %v", total)
	}
	if rec, _ := e.record(tenantA, "gone"); rec.Desired != session.DesiredDeleted {
		t.Errorf("desired %s", rec.Desired)
	}
	// A session being deleted frees its name but not its id.
	e.create(keyA, map[string]any{"id": "new", "name": "Old"})
	mustStatus(t, e.call("POST", "/api/v1/sessions", keyA, map[string]any{"id": "gone"}), http.StatusConflict)
	// Retrying the delete is safe while the worker has not removed it.
	base := e.commandCount()
	mustStatus(t, e.call("DELETE", "/api/v1/sessions/gone", keyA, nil), http.StatusOK)
	if e.commandCount() != base+1 {
		t.Errorf("retried delete did not publish")
	}
	// The worker removes the record; now it is gone for writers too, and
	// the id can be used again.
	if err := e.b.Sessions.Delete(context.Background(), subject.SessionKey(tenantA, "gone")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "mirror drops the record", func() bool {
		return e.call("DELETE", "/api/v1/sessions/gone", keyA, nil).status == http.StatusNotFound
	})
	e.create(keyA, map[string]any{"id": "gone"})
}

func TestStatusAndDevice(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "s1"})
	r := e.call("GET", "/api/v1/sessions/s1/device", keyA, nil)
	if r.status != http.StatusNotFound || r.errCode() != "device_not_linked" {
		t.Fatalf("device before link: %d %s", r.status, r.body)
	}
	linked := time.Now().UTC()
	e.setState(tenantA, "s1", func(st *session.State) {
		st.Status = session.StatusWorking
		st.PhoneNumber = "628123456789"
		st.PushName = "John Doe"
		st.DeviceJID = "628123456789:1@s.whatsapp.net"
		st.DeviceID = 1
		st.LID = "123456789@lid"
		st.LastConnectedAt = &linked
		st.Command = "cmd-1"
	})
	eventually(t, "status logged_in", func() bool {
		return e.call("GET", "/api/v1/sessions/s1/status", keyA, nil).json(t)["status"] == "logged_in"
	})
	st := e.call("GET", "/api/v1/sessions/s1/status", keyA, nil).json(t)
	if st["is_logged_in"] != true || st["phone_number"] != "628123456789" || st["push_name"] != "John Doe" || st["last_command_id"] != "cmd-1" {
		t.Errorf("status %v", st)
	}
	if _, ok := st["last_error"]; ok {
		t.Errorf("last_error without error: %v", st)
	}
	d := e.call("GET", "/api/v1/sessions/s1/device", keyA, nil)
	mustStatus(t, d, http.StatusOK)
	dm := d.json(t)
	if dm["device_id"] != 1.0 || dm["lid"] != "123456789@lid" || dm["phone_number"] != "628123456789" || dm["push_name"] != "John Doe" {
		t.Errorf("device %s", d.body)
	}
	g := e.call("GET", "/api/v1/sessions/s1", keyA, nil).json(t)
	if g["last_connected_at"] != float64(linked.Unix()) || g["is_logged_in"] != true {
		t.Errorf("session %v", g)
	}
	e.setState(tenantA, "s1", func(st *session.State) {
		st.Status = session.StatusFailed
		st.LastError = "stream error"
	})
	eventually(t, "last_error", func() bool {
		m := e.call("GET", "/api/v1/sessions/s1/status", keyA, nil).json(t)
		return m["status"] == "disconnected" && m["last_error"] == "stream error"
	})
}

func TestWorkerStateDoesNotLoseAPIWrites(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "s1"})
	// The worker keeps rewriting State while the api flips Desired: every
	// CAS conflict is retried on a fresh read, so neither side loses.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 50; i++ {
			_ = writeState(context.Background(), e.b.Sessions, tenantA, "s1", func(st *session.State) {
				st.Status = session.StatusWorking
				st.PushName = "worker"
			})
		}
	}()
	for i := 0; i < 10; i++ {
		mustStatus(t, e.call("POST", "/api/v1/sessions/s1/disconnect", keyA, nil), http.StatusOK)
		mustStatus(t, e.call("POST", "/api/v1/sessions/s1/connect", keyA, nil), http.StatusOK)
	}
	mustStatus(t, e.call("POST", "/api/v1/sessions/s1/disconnect", keyA, nil), http.StatusOK)
	<-done
	rec, _ := e.record(tenantA, "s1")
	if rec.Desired != session.DesiredStopped || rec.State.PushName != "worker" {
		t.Fatalf("record %+v", rec)
	}
}
