package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/session"
)

func TestCreateThenReadYourWrites(t *testing.T) {
	e := newEnv(t)
	r := e.call("POST", "/api/v1/sessions", keyA, map[string]any{
		"id":      "business-1",
		"name":    "Business Account",
		"webhook": map[string]any{"url": "https://example.com/hook", "events": []string{"message"}, "secret": "s3cret"},
		"proxy":   "socks5://user:pw@proxy.example:1080",
	})
	mustStatus(t, r, http.StatusCreated)
	if strings.Contains(string(r.body), "s3cret") || strings.Contains(string(r.body), ":pw@") {
		t.Fatalf("secret leaked: %s", r.body)
	}
	s := r.json(t)["session"].(map[string]any)
	for k, want := range map[string]any{
		"id": "business-1", "name": "Business Account", "status": "connecting", "is_logged_in": false,
		"phone_number": nil, "push_name": nil, "last_connected_at": nil, "account_protection": true, "message_logging": false,
	} {
		if s[k] != want {
			t.Errorf("%s = %v, want %v", k, s[k], want)
		}
	}
	if s["created_at"].(float64) < 1e9 {
		t.Errorf("created_at %v is not unix seconds", s["created_at"])
	}
	// The very next GET sees the session, before any watch round trip matters.
	g := e.call("GET", "/api/v1/sessions/business-1", keyA, nil)
	mustStatus(t, g, http.StatusOK)
	if g.json(t)["webhook"].(map[string]any)["url"] != "https://example.com/hook" {
		t.Errorf("webhook not shown: %s", g.body)
	}
	l := e.call("GET", "/api/v1/sessions", keyA, nil)
	mustStatus(t, l, http.StatusOK)
	if l.json(t)["total"].(float64) != 1 {
		t.Errorf("list: %s", l.body)
	}
	st := e.call("GET", "/api/v1/sessions/business-1/status", keyA, nil)
	mustStatus(t, st, http.StatusOK)
	if st.json(t)["status"] != "connecting" {
		t.Errorf("status: %s", st.body)
	}
	cmd := e.nextCommand()
	if cmd.Verb != command.Start || cmd.Tenant != tenantA || cmd.Session != "business-1" {
		t.Errorf("command %+v", cmd)
	}
	rec, ok := e.record(tenantA, "business-1")
	if !ok || rec.Desired != session.DesiredRunning || rec.State.Status != session.StatusStarting || rec.Config.Webhooks[0].Secret != "s3cret" {
		t.Errorf("record %+v", rec)
	}
}

func TestCreateGeneratesID(t *testing.T) {
	e := newEnv(t)
	id := e.create(keyA, map[string]any{})
	if !session.ValidID(id) {
		t.Fatalf("generated id %q", id)
	}
	mustStatus(t, e.call("GET", "/api/v1/sessions/"+id, keyA, nil), http.StatusOK)
}

func TestCreateRejectsBadInput(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("x", 65)
	cases := []struct {
		name string
		body string
		code string
	}{
		{"bad id chars", `{"id":"a.b"}`, "invalid_session_id"},
		{"id too long", `{"id":"` + long + `"}`, "invalid_session_id"},
		{"id with slash", `{"id":"a/b"}`, "invalid_session_id"},
		{"bad phone", `{"id":"p1","phone_number":"12"}`, "invalid_phone_number"},
		{"letters phone", `{"id":"p2","phone_number":"+62abc"}`, "invalid_phone_number"},
		{"webhook ftp", `{"id":"w1","webhook":{"url":"ftp://x.example"}}`, "invalid_webhook_url"},
		{"webhook relative", `{"id":"w2","webhook":{"url":"/hook"}}`, "invalid_webhook_url"},
		{"webhook empty", `{"id":"w3","webhook":{}}`, "invalid_webhook_url"},
		{"malformed", `{"id":`, "invalid_request"},
		{"not an object", `[1,2]`, "invalid_request"},
		{"unknown field", `{"id":"u1","colour":"red"}`, "invalid_request"},
		{"wrong type", `{"id":42}`, "invalid_request"},
		{"wrong bool", `{"account_protection":"yes"}`, "invalid_request"},
		{"trailing data", `{"id":"t1"} {}`, "invalid_request"},
		{"bad proxy", `{"proxy":"not a url"}`, "invalid_request"},
		{"long name", `{"name":"` + strings.Repeat("n", 129) + `"}`, "invalid_request"},
		{"empty event", `{"webhook":{"url":"https://x.example","events":[""]}}`, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call("POST", "/api/v1/sessions", keyA, tc.body)
			mustStatus(t, r, http.StatusBadRequest)
			if r.errCode() != tc.code {
				t.Fatalf("code %q, want %q (%s)", r.errCode(), tc.code, r.body)
			}
		})
	}
	// Bad input changed nothing.
	if n := e.commandCount(); n != 0 {
		t.Errorf("%d commands published", n)
	}
	if l := e.call("GET", "/api/v1/sessions", keyA, nil); l.json(t)["total"].(float64) != 0 {
		t.Errorf("sessions exist: %s", l.body)
	}
}

func TestCreateNormalizesPhone(t *testing.T) {
	e := newEnv(t)
	r := e.call("POST", "/api/v1/sessions", keyA, map[string]any{"id": "ph", "phone_number": "+62 812-3456-7890"})
	mustStatus(t, r, http.StatusCreated)
	if got := r.json(t)["session"].(map[string]any)["phone_number"]; got != "6281234567890" {
		t.Fatalf("phone %v", got)
	}
}

func TestDuplicates(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "dup", "name": "Shop"})
	r := e.call("POST", "/api/v1/sessions", keyA, map[string]any{"id": "dup"})
	mustStatus(t, r, http.StatusConflict)
	if r.errCode() != "session_exists" {
		t.Errorf("code %s", r.errCode())
	}
	r = e.call("POST", "/api/v1/sessions", keyA, map[string]any{"id": "other", "name": "Shop"})
	mustStatus(t, r, http.StatusConflict)
	if r.errCode() != "name_exists" {
		t.Errorf("code %s", r.errCode())
	}
	// Another tenant may use both the id and the name.
	e.create(keyB, map[string]any{"id": "dup", "name": "Shop"})
}

func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "shared", "name": "A's"})
	e.create(keyA, map[string]any{"id": "only-a"})
	e.create(keyB, map[string]any{"id": "shared", "name": "B's"})
	if got := e.call("GET", "/api/v1/sessions/shared", keyB, nil).json(t)["name"]; got != "B's" {
		t.Fatalf("tenant B sees %v", got)
	}
	before := e.commandCount()
	for _, rt := range []struct{ method, path string }{
		{"GET", "/api/v1/sessions/only-a"},
		{"GET", "/api/v1/sessions/only-a/status"},
		{"GET", "/api/v1/sessions/only-a/device"},
		{"GET", "/api/v1/sessions/only-a/qr"},
		{"POST", "/api/v1/sessions/only-a/connect"},
		{"POST", "/api/v1/sessions/only-a/disconnect"},
		{"POST", "/api/v1/sessions/only-a/restart"},
		{"POST", "/api/v1/sessions/only-a/logout"},
		{"DELETE", "/api/v1/sessions/only-a"},
	} {
		r := e.call(rt.method, rt.path, keyB, nil)
		if r.status != http.StatusNotFound || r.errCode() != "session_not_found" {
			t.Errorf("%s %s as B: %d %s", rt.method, rt.path, r.status, r.body)
		}
	}
	r := e.call("POST", "/api/v1/sessions/only-a/pair", keyB, map[string]any{"phone_number": "+6281234567890"})
	if r.status != http.StatusNotFound {
		t.Errorf("pair as B: %d %s", r.status, r.body)
	}
	if after := e.commandCount(); after != before {
		t.Errorf("tenant B published %d commands", after-before)
	}
	if total := e.call("GET", "/api/v1/sessions", keyB, nil).json(t)["total"]; total != 1.0 {
		t.Errorf("B lists %v sessions", total)
	}
	if total := e.call("GET", "/api/v1/sessions", keyA, nil).json(t)["total"]; total != 2.0 {
		t.Errorf("A lists %v sessions", total)
	}
	// The admin key is tenant "default" and sees neither.
	mustStatus(t, e.call("GET", "/api/v1/sessions/shared", adminKey, nil), http.StatusNotFound)
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		hdr  []string
		want int
	}{
		{"none", nil, http.StatusUnauthorized},
		{"wrong bearer", []string{"Authorization", "Bearer nope"}, http.StatusUnauthorized},
		{"basic scheme", []string{"Authorization", "Basic " + keyA}, http.StatusUnauthorized},
		{"bearer", []string{"Authorization", "Bearer " + keyA}, http.StatusOK},
		{"bearer lower case", []string{"Authorization", "bearer " + keyA}, http.StatusOK},
		{"x-api-key", []string{"X-Api-Key", keyA}, http.StatusOK},
		{"admin", []string{"Authorization", "Bearer " + adminKey}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call("GET", "/api/v1/sessions", "", nil, tc.hdr...)
			mustStatus(t, r, tc.want)
			if tc.want == http.StatusUnauthorized && r.errCode() != "unauthorized" {
				t.Errorf("body %s", r.body)
			}
		})
	}
	// Unauthenticated mutations change nothing.
	mustStatus(t, e.call("POST", "/api/v1/sessions", "", `{"id":"x"}`), http.StatusUnauthorized)
	if n := e.commandCount(); n != 0 {
		t.Errorf("%d commands", n)
	}
}

func TestUnknownRoutesAreJSON(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/nope", http.StatusNotFound, "not_found"},
		{"GET", "/api/v1/sessions/x/unknown", http.StatusNotFound, "not_found"},
		{"PUT", "/api/v1/sessions/x", http.StatusMethodNotAllowed, "method_not_allowed"},
		{"PATCH", "/api/v1/sessions", http.StatusMethodNotAllowed, "method_not_allowed"},
	} {
		r := e.call(tc.method, tc.path, keyA, nil)
		if r.status != tc.status || r.errCode() != tc.code {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s %s: content type %q", tc.method, tc.path, ct)
		}
	}
}

func TestInvalidSessionIDInPath(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/api/v1/sessions/a.b", "/api/v1/sessions/" + strings.Repeat("a", 65) + "/status", "/api/v1/sessions/a%2Fb"} {
		r := e.call("GET", p, keyA, nil)
		if r.status != http.StatusBadRequest || r.errCode() != "invalid_session_id" {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
	r := e.call("POST", "/api/v1/sessions/a.b/restart", keyA, nil)
	if r.status != http.StatusBadRequest || r.errCode() != "invalid_session_id" {
		t.Errorf("restart: %d %s", r.status, r.body)
	}
}

func TestListPagination(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, e.create(keyA, map[string]any{"id": fmt.Sprintf("s%d", i)}))
	}
	r := e.call("GET", "/api/v1/sessions?limit=2&offset=1", keyA, nil)
	mustStatus(t, r, http.StatusOK)
	m := r.json(t)
	got := m["sessions"].([]any)
	if m["total"] != 5.0 || len(got) != 2 || got[0].(map[string]any)["id"] != ids[1] || got[1].(map[string]any)["id"] != ids[2] {
		t.Fatalf("page: %s", r.body)
	}
	r = e.call("GET", "/api/v1/sessions?offset=10", keyA, nil)
	if n := len(r.json(t)["sessions"].([]any)); n != 0 {
		t.Errorf("past the end: %d", n)
	}
	r = e.call("GET", "/api/v1/sessions?limit=5000", keyA, nil)
	if r.json(t)["limit"] != 1000.0 {
		t.Errorf("limit not clamped: %s", r.body)
	}
	for _, q := range []string{"limit=abc", "limit=-1", "offset=x"} {
		r := e.call("GET", "/api/v1/sessions?"+q, keyA, nil)
		if r.status != http.StatusBadRequest || r.errCode() != "invalid_request" {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}
