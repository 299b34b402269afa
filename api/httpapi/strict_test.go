package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestStrictDecoding is finding 10: each body was accepted (or reported
// without its field) before. Every answer is a 400 naming the field, and
// nothing is created.
func TestStrictDecoding(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, path, body, code, mention string
	}{
		{"null body", "/api/v1/sessions", `null`, "invalid_request", "JSON object"},
		{"array body", "/api/v1/sessions", `[]`, "invalid_request", "JSON object"},
		{"key case", "/api/v1/sessions", `{"id":"x7","ID":"x8"}`, "invalid_request", `unknown field \"ID\"`},
		{"duplicate key", "/api/v1/sessions", `{"id":"x7","id":"x8"}`, "invalid_request", `duplicate field \"id\"`},
		{"nested duplicate", "/api/v1/sessions", `{"webhook":{"url":"https://a.example","url":"https://b.example"}}`, "invalid_request", `webhook.url`},
		{"nested case", "/api/v1/sessions", `{"webhook":{"URL":"https://a.example"}}`, "invalid_request", `webhook.URL`},
		{"NUL in name", "/api/v1/sessions", `{"name":"a\u0000b"}`, "invalid_request", "name"},
		{"BEL in name", "/api/v1/sessions", `{"name":"ring\u0007"}`, "invalid_request", "name"},
		{"bidi override in name", "/api/v1/sessions", `{"name":"invoice\u202Efdp.exe"}`, "invalid_request", "name"},
		{"newline in name", "/api/v1/sessions", `{"name":"two\nlines"}`, "invalid_request", "name"},
		{"invalid UTF-8", "/api/v1/sessions", "{\"name\":\"\xff\"}", "invalid_request", "name"},
		{"unknown event", "/api/v1/sessions", `{"webhook":{"url":"https://a.example","events":["mesage"]}}`, "invalid_request", "webhook.events"},
		{"bad boolean", "/api/v1/sessions", `{"account_protection":"yes"}`, "invalid_request", "account_protection"},
		{"bad nested type", "/api/v1/sessions", `{"webhook":{"events":"message"}}`, "invalid_request", "webhook.events"},
		{"trailing data", "/api/v1/sessions", `{"id":"t1"} {}`, "invalid_request", "offset"},
		{"WASend bad boolean", "/sessions", `{"sessionName":"w","phoneNumber":"+14155552671","enableWebhook":"maybe"}`, "invalid_request", "enableWebhook"},
		{"WASend bad url with webhooks off", "/sessions", `{"sessionName":"w","phoneNumber":"+14155552671","enableWebhook":false,"webhookUrl":"not a url"}`, "invalid_webhook_url", "webhook"},
		{"WASend null", "/sessions", `null`, "invalid_request", "JSON object"},
		{"WASend case", "/sessions", `{"sessionName":"w","SessionName":"v","phoneNumber":"+14155552671"}`, "invalid_request", "SessionName"},
		{"WASend BEL name", "/sessions", `{"sessionName":"w\u0007","phoneNumber":"+14155552671"}`, "invalid_request", "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call("POST", tc.path, keyA, tc.body)
			if r.status != http.StatusBadRequest || r.errCode() != tc.code || !strings.Contains(string(r.body), tc.mention) {
				t.Errorf("%s: %d %s, want 400 %s mentioning %s", tc.body, r.status, r.body, tc.code, tc.mention)
			}
		})
	}
	if n := e.commandCount(); n != 0 {
		t.Errorf("refused bodies published %d commands", n)
	}
	if r := e.call("GET", "/api/v1/sessions", keyA, nil); r.json(t)["total"] != float64(0) {
		t.Errorf("refused bodies created sessions: %s", r.body)
	}
	// Known event names and aliases pass.
	mustStatus(t, e.call("POST", "/api/v1/sessions", keyA, `{"webhook":{"url":"https://a.example","events":["message","connected","session.status","*"]}}`), http.StatusCreated)
}

// TestWawpChecksKeyFirst: the Wawp surface authenticates before it parses
// the body strictly, so an unauthenticated client learns nothing from a
// malformed body.
func TestWawpChecksKeyFirst(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "w1"})
	for _, tc := range []struct {
		name, path, body string
		want             int
	}{
		{"no key, malformed body", "/v2/session/restart", `{"instance_id":`, 401},
		{"no key, unknown field", "/v2/session/restart", `{"instance_id":"w1","bogus":1}`, 401},
		{"wrong key in body", "/v2/session/restart", `{"instance_id":"w1","access_token":"nope"}`, 401},
		{"query key, malformed body", "/v2/session/restart?access_token=" + keyA, `{"instance_id":`, 400},
		{"query key, duplicate field", "/v2/session/restart?access_token=" + keyA, `{"instance_id":"w1","instance_id":"w2"}`, 400},
		{"body key, unknown field", "/v2/session/restart", `{"instance_id":"w1","access_token":"` + keyA + `","x":1}`, 400},
		{"body key", "/v2/session/restart", `{"instance_id":"w1","access_token":"` + keyA + `"}`, 200},
	} {
		if r := e.call("POST", tc.path, "", tc.body); r.status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, r.status, r.body, tc.want)
		}
	}
}

// TestIdempotentCreate is finding 6's duplicate create: a create repeated
// with the same Idempotency-Key answers the first session (201, then 200)
// instead of making a second one.
func TestIdempotentCreate(t *testing.T) {
	e := newEnv(t)
	first := e.call("POST", "/api/v1/sessions", keyA, map[string]any{"name": "Shop"}, "Idempotency-Key", "create-1")
	mustStatus(t, first, http.StatusCreated)
	again := e.call("POST", "/api/v1/sessions", keyA, map[string]any{"name": "Shop"}, "Idempotency-Key", "create-1")
	mustStatus(t, again, http.StatusOK)
	id := first.json(t)["session"].(map[string]any)["id"]
	if again.json(t)["session"].(map[string]any)["id"] != id {
		t.Fatalf("ids differ: %s vs %s", first.body, again.body)
	}
	// With a client id too.
	mustStatus(t, e.call("POST", "/api/v1/sessions", keyA, map[string]any{"id": "c2"}, "Idempotency-Key", "create-2"), http.StatusCreated)
	mustStatus(t, e.call("POST", "/api/v1/sessions", keyA, map[string]any{"id": "c2"}, "Idempotency-Key", "create-2"), http.StatusOK)
	// The same id under another key (or none) is still a conflict.
	if r := e.call("POST", "/api/v1/sessions", keyA, map[string]any{"id": "c2"}, "Idempotency-Key", "create-3"); r.status != http.StatusConflict {
		t.Errorf("other key: %d %s", r.status, r.body)
	}
	if r := e.call("POST", "/api/v1/sessions", keyA, map[string]any{"id": "c2"}); r.status != http.StatusConflict {
		t.Errorf("no key: %d %s", r.status, r.body)
	}
	// Keys are per tenant.
	other := e.call("POST", "/api/v1/sessions", keyB, map[string]any{"name": "Shop"}, "Idempotency-Key", "create-1")
	mustStatus(t, other, http.StatusCreated)
	// WASend too.
	w1 := e.call("POST", "/sessions", keyA, `{"sessionName":"W","phoneNumber":"+14155552671"}`, "Idempotency-Key", "ws-1")
	w2 := e.call("POST", "/sessions", keyA, `{"sessionName":"W","phoneNumber":"+14155552671"}`, "Idempotency-Key", "ws-1")
	mustStatus(t, w1, http.StatusCreated)
	mustStatus(t, w2, http.StatusOK)
	if w1.json(t)["uniqueSessionId"] != w2.json(t)["uniqueSessionId"] {
		t.Errorf("WASend ids differ: %s vs %s", w1.body, w2.body)
	}
	if r := e.call("GET", "/api/v1/sessions", keyA, nil); r.json(t)["total"] != float64(3) {
		t.Errorf("sessions: %s", r.body)
	}
	if n := e.commandCount(); n != 3 { // one start per /api/v1 create
		t.Errorf("%d commands, want 3", n)
	}
}
