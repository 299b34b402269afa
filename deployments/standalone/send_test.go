package standalone_test

import (
	"strings"
	"testing"
	"time"
)

// TestSendDeliveredRead sends texts through the real whatsmeow client to a
// simulated phone: the phone has the exact text (emoji, RTL, 64 KiB), the
// message goes pending → sent → delivered → read as the phone reads it, and
// the webhook sees each step in order.
func TestSendDeliveredRead(t *testing.T) {
	hooks := newStatusHooks(t)
	_, a := gateway(t, t.TempDir(), "")
	link(t, a, "snd", "+15550500001")
	a.must(200, "PATCH", "/api/v1/sessions/snd", map[string]any{
		"account_protection": false,
		"webhook":            map[string]any{"url": hooks.srv.URL, "events": []string{"message_status"}},
	})
	const bob = "+15550500002"
	registerPhone(t, bob)

	texts := []string{
		"héllo 👋🏽 world — 🇩🇪",
		"مرحبا بالعالم שלום עולם",
		strings.Repeat("é", 32768), // 65,536 bytes of UTF-8
	}
	for _, text := range texts {
		msg := a.send("snd", bob, text)
		id, _ := msg["id"].(string)
		if msg["status"] != "pending" || !strings.HasPrefix(id, "3EB0") || msg["to"] != "15550500002@s.whatsapp.net" || msg["text"] != text {
			t.Fatalf("accepted = %v", msg)
		}
		got := waitInbox(t, bob, id, 20*time.Second)
		if got["text"] != text || got["from"] != "+15550500001" {
			t.Fatalf("phone got %q from %v, want %d bytes sent", trunc(got["text"]), got["from"], len(text))
		}
		a.waitMessage("snd", id, "delivered", 20*time.Second)
		if code, out := simPost(t, "/phones/15550500002/read", map[string]any{"ids": []string{id}}); code != 200 {
			t.Fatalf("read: %d %v", code, out)
		}
		rec := a.waitMessage("snd", id, "read", 20*time.Second)
		if rec["direction"] != "outbound" || rec["text"] != nil {
			t.Fatalf("read message = %v (logging is off: no text after delivery)", trunc(rec))
		}
		deadline := time.Now().Add(20 * time.Second)
		for strings.Join(hooks.statuses(id), ",") != "sent,delivered,read" {
			if time.Now().After(deadline) {
				t.Fatalf("webhook steps for %s = %v, want sent,delivered,read", id, hooks.statuses(id))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// TestSendValidation checks the 400s and the 409 of POST …/messages.
func TestSendValidation(t *testing.T) {
	_, a := gateway(t, t.TempDir(), "")
	link(t, a, "val", "+15550500011")
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"to": "12345", "text": "x"}, `"to"`},
		{map[string]any{"to": "+1555", "text": "x"}, `"to"`},
		{map[string]any{"to": "123@g.us", "text": "x"}, `"to"`},
		{map[string]any{"text": "x"}, `"to"`},
		{map[string]any{"to": "+15550500012", "text": ""}, `"text"`},
		{map[string]any{"to": "+15550500012"}, `"text"`},
		{map[string]any{"to": "+15550500012", "text": strings.Repeat("a", 65537)}, `"text"`},
		{map[string]any{"to": "+15550500012", "text": "x", "extra": 1}, "extra"},
	} {
		code, out := a.do("POST", "/api/v1/sessions/val/messages", c.body)
		e, _ := out["error"].(map[string]any)
		msg, _ := e["message"].(string)
		if code != 400 || !strings.Contains(msg, c.field) {
			t.Errorf("%v: %d %v, want 400 naming %s", trunc(c.body), code, out, c.field)
		}
	}
	a.must(200, "POST", "/api/v1/sessions/val/disconnect", nil)
	a.waitStatus("val", "disconnected", 10*time.Second)
	code, out := a.do("POST", "/api/v1/sessions/val/messages", map[string]any{"to": "+15550500012", "text": "x"})
	if e, _ := out["error"].(map[string]any); code != 409 || e["code"] != "session_not_ready" {
		t.Fatalf("send while stopped: %d %v", code, out)
	}
	a.must(404, "POST", "/api/v1/sessions/nope/messages", map[string]any{"to": "+15550500012", "text": "x"})
	a.must(404, "GET", "/api/v1/sessions/val/messages/3EB0DOESNOTEXIST", nil)
}

// TestSendNotOnWhatsAppFails sends to a number nobody registered.
func TestSendNotOnWhatsAppFails(t *testing.T) {
	_, a := gateway(t, t.TempDir(), "")
	link(t, a, "nowa", "+15550500021")
	msg := a.send("nowa", "+15550509999", "anyone there?")
	rec := a.waitMessage("nowa", msg["id"].(string), "failed", 20*time.Second)
	if rec["error"] != "not_on_whatsapp" {
		t.Fatalf("failed message = %v", rec)
	}
}

// TestSendIdempotencyKey sends the same request three times with one
// Idempotency-Key: one message id, one message on the phone.
func TestSendIdempotencyKey(t *testing.T) {
	_, a := gateway(t, t.TempDir(), "")
	link(t, a, "idem", "+15550500031")
	const bob = "+15550500032"
	registerPhone(t, bob)
	var ids []string
	for range 3 {
		ids = append(ids, a.send("idem", bob, "only once", "Idempotency-Key", "order-42")["id"].(string))
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Fatalf("ids = %v, want one", ids)
	}
	a.waitMessage("idem", ids[0], "delivered", 30*time.Second)
	// A later message is sent after the repeats: once it arrived, any copy
	// of the first would have too.
	later := a.send("idem", bob, "after")["id"].(string)
	waitInbox(t, bob, later, 30*time.Second)
	n := 0
	for _, m := range inbox(t, bob) {
		if m["text"] == "only once" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("phone has %d copies, want 1", n)
	}
}

// trunc shortens values for failure messages (64 KiB texts).
func trunc(v any) any {
	if s, ok := v.(string); ok && len(s) > 80 {
		return s[:80] + "…"
	}
	return v
}
