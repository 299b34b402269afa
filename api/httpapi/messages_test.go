package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/message"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// TestSendPublishesOnce accepts a message for a WORKING session: 202 with
// the pending message, one send command whose message id derives from its
// command id, and the same Idempotency-Key three times publishes once and
// answers the same message.
func TestSendPublishesOnce(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "s1"})
	e.nextCommand() // start
	r := e.call("POST", "/api/v1/sessions/s1/messages", keyA, map[string]any{"to": "+15551234567", "text": "hi"})
	if r.status != http.StatusConflict || r.errCode() != "session_not_ready" {
		t.Fatalf("send while STARTING: %d %s", r.status, r.body)
	}
	e.setState(tenantA, "s1", func(st *session.State) { st.Status = session.StatusWorking })
	waitFor(t, func() bool {
		return e.call("POST", "/api/v1/sessions/s1/messages", keyA, map[string]any{"to": "x", "text": "y"}).status == http.StatusBadRequest
	})

	base := e.commandCount()
	var ids []string
	for range 3 {
		r := e.call("POST", "/api/v1/sessions/s1/messages", keyA, map[string]any{"to": "+15551234567", "text": "héllo 👋"}, "Idempotency-Key", "k1")
		mustStatus(t, r, http.StatusAccepted)
		m := r.json(t)["message"].(map[string]any)
		if m["status"] != "pending" || m["to"] != "15551234567@s.whatsapp.net" || m["text"] != "héllo 👋" || m["created_at"] == "" {
			t.Fatalf("accepted = %s", r.body)
		}
		ids = append(ids, m["id"].(string))
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Fatalf("ids %v", ids)
	}
	if n := e.commandCount() - base; n != 1 {
		t.Fatalf("3 sends with one key published %d commands", n)
	}
	cmd := e.nextCommand()
	if cmd.Verb != command.Send || cmd.MessageID != ids[0] || cmd.MessageID != message.IDFromCommand(cmd.ID) || cmd.Text != "" || cmd.To != "15551234567@s.whatsapp.net" {
		t.Fatalf("command %+v", cmd)
	}
	got := e.call("GET", "/api/v1/sessions/s1/messages/"+ids[0], keyA, nil)
	mustStatus(t, got, http.StatusOK)
	if m := got.json(t); m["status"] != "pending" || m["text"] != "héllo 👋" || m["direction"] != "outbound" {
		t.Fatalf("GET message = %s", got.body)
	}
	// Another tenant cannot read it, nor a made-up id.
	if r := e.call("GET", "/api/v1/sessions/s1/messages/"+ids[0], keyB, nil); r.status != http.StatusNotFound {
		t.Fatalf("other tenant: %d", r.status)
	}
	for _, bad := range []string{"3EB0NOPE", "a.b", strings.Repeat("A", 200)} {
		if r := e.call("GET", "/api/v1/sessions/s1/messages/"+bad, keyA, nil); r.status != http.StatusNotFound || r.errCode() != "message_not_found" {
			t.Fatalf("GET %q: %d %s", bad, r.status, r.body)
		}
	}
	// Without a key every send is a new message.
	a := e.call("POST", "/api/v1/sessions/s1/messages", keyA, map[string]any{"to": "+15551234567", "text": "x"}).json(t)["message"].(map[string]any)
	b := e.call("POST", "/api/v1/sessions/s1/messages", keyA, map[string]any{"to": "+15551234567", "text": "x"}).json(t)["message"].(map[string]any)
	if a["id"] == b["id"] {
		t.Fatal("two sends without a key share an id")
	}
}

// TestPatchSession changes logging, protection, name, pace and webhooks.
func TestPatchSession(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "s1", "name": "one"})
	e.create(keyA, map[string]any{"id": "s2", "name": "two"})
	r := e.call("PATCH", "/api/v1/sessions/s1", keyA, map[string]any{
		"message_logging": true, "account_protection": false, "name": "uno", "message_rate": 2.5, "message_burst": 5,
		"webhook": map[string]any{"url": "https://example.com/h", "events": []string{"message_status"}},
	})
	mustStatus(t, r, http.StatusOK)
	s := r.json(t)["session"].(map[string]any)
	if s["message_logging"] != true || s["account_protection"] != false || s["name"] != "uno" || s["webhook"] == nil {
		t.Fatalf("patched = %s", r.body)
	}
	rec, _ := e.record(tenantA, "s1")
	if rec.Config.MessageRate != 2.5 || rec.Config.MessageBurst != 5 || len(rec.Config.Webhooks) != 1 {
		t.Fatalf("record config = %+v", rec.Config)
	}
	for _, c := range []struct {
		body map[string]any
		code int
	}{
		{map[string]any{"name": "two"}, http.StatusConflict},
		{map[string]any{"message_rate": -1}, http.StatusBadRequest},
		{map[string]any{"message_burst": 1000}, http.StatusBadRequest},
		{map[string]any{"message_logging": "yes"}, http.StatusBadRequest},
		{map[string]any{"webhook": map[string]any{"url": "ftp://x"}}, http.StatusBadRequest},
		{map[string]any{"bogus": 1}, http.StatusBadRequest},
	} {
		if r := e.call("PATCH", "/api/v1/sessions/s1", keyA, c.body); r.status != c.code {
			t.Errorf("PATCH %v: %d %s, want %d", c.body, r.status, r.body, c.code)
		}
	}
	if r := e.call("PATCH", "/api/v1/sessions/s1", keyB, map[string]any{"name": "x"}); r.status != http.StatusNotFound {
		t.Fatalf("other tenant PATCH: %d", r.status)
	}
	if rec2, _ := e.record(tenantA, "s1"); rec2.Config.Name != "uno" {
		t.Fatalf("a refused PATCH changed the record: %+v", rec2.Config)
	}
}

// TestMessageLogWithoutWorker answers an empty list when logging is off
// and 503 when no worker answers the log request.
func TestMessageLogWithoutWorker(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "s1"})
	r := e.call("GET", "/api/v1/sessions/s1/messages", keyA, nil)
	mustStatus(t, r, http.StatusOK)
	if m := r.json(t); len(m["messages"].([]any)) != 0 || m["next_before"] != nil {
		t.Fatalf("log with logging off = %s", r.body)
	}
	mustStatus(t, e.call("PATCH", "/api/v1/sessions/s1", keyA, map[string]any{"message_logging": true}), http.StatusOK)
	if r := e.call("GET", "/api/v1/sessions/s1/messages", keyA, nil); r.status != http.StatusServiceUnavailable {
		t.Fatalf("no worker: %d %s", r.status, r.body)
	}
	if r := e.call("GET", "/api/v1/sessions/s1/messages?limit=-1", keyA, nil); r.status != http.StatusBadRequest {
		t.Fatalf("bad limit: %d", r.status)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
