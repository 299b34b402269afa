package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/switchboard-gw/switchboard/api/httpapi"
	"github.com/switchboard-gw/switchboard/shared/netguard"
	"github.com/switchboard-gw/switchboard/shared/subject"
	"github.com/switchboard-gw/switchboard/shared/webhookctl"
)

// Every spelling of a loopback, private, link-local or metadata target is
// refused at create time on both surfaces that take a webhook URL (Wawp
// takes none), with 400 invalid_webhook_url naming the field, and nothing
// is stored or published. The operator's allow variable lets them through.
func TestWebhookURLGuardAtCreate(t *testing.T) {
	e := newEnv(t)
	hosts := []string{"127.0.0.1", "localhost", "0.0.0.0", "[::1]", "[::ffff:127.0.0.1]", "2130706433", "127.1",
		"10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "[fd00:ec2::254]", "metadata.google.internal", "100.64.0.1"}
	before := e.commandCount()
	for i, h := range hosts {
		u := "http://" + h + ":8080/hook"
		r := e.call("POST", "/api/v1/sessions", keyA, map[string]any{"id": "g" + string(rune('a'+i)), "webhook": map[string]any{"url": u}})
		if r.status != http.StatusBadRequest || r.errCode() != "invalid_webhook_url" || !strings.Contains(string(r.body), "webhook.url") {
			t.Errorf("v1 %s: %d %s", u, r.status, r.body)
		}
		r = e.call("POST", "/sessions", keyA, map[string]any{"sessionName": "g" + h, "phoneNumber": "+14155552671", "enableWebhook": true, "webhookUrl": u})
		if r.status != http.StatusBadRequest || r.errCode() != "invalid_webhook_url" {
			t.Errorf("wasend %s: %d %s", u, r.status, r.body)
		}
	}
	if n := e.commandCount(); n != before {
		t.Errorf("%d commands published by refused creates", n-before)
	}
	if r := e.call("GET", "/api/v1/sessions", keyA, nil); r.json(t)["total"].(float64) != 0 {
		t.Errorf("refused creates stored sessions: %s", r.body)
	}
	e.create(keyA, map[string]any{"id": "public", "webhook": map[string]any{"url": "https://hooks.example.com/h"}})

	open := newEnv(t, func(c *httpapi.Config) { c.WebhookGuard = netguard.Policy{AllowPrivate: true} })
	open.create(keyA, map[string]any{"id": "local", "webhook": map[string]any{"url": "http://127.0.0.1:8080/hook"}})
}

// standIn answers webhook control requests in place of the workers (whose
// side worker/webhook tests) and records what reached it.
type standIn struct {
	mu   sync.Mutex
	subj []string
	data []string
}

func (s *standIn) start(t *testing.T, nc *nats.Conn) {
	sub, err := nc.QueueSubscribe(subject.WebhookControlAll, subject.WebhookControlQueue, func(m *nats.Msg) {
		s.mu.Lock()
		s.subj, s.data = append(s.subj, m.Subject), append(s.data, string(m.Data))
		s.mu.Unlock()
		var reply any
		switch {
		case strings.HasSuffix(m.Subject, ".dead_letters"):
			reply = webhookctl.ListReply{Total: 3, DeadLetters: []webhookctl.DeadLetter{{ID: 7, EventID: "e7", EventType: "message",
				URL: "https://h.example/x", StatusCode: 503, Error: "http status 503", Attempts: 8, FailedAt: time.Unix(1700000000, 0).UTC()}}}
		case strings.HasSuffix(m.Subject, ".replay"):
			var req webhookctl.ReplayRequest
			_ = json.Unmarshal(m.Data, &req)
			reply = webhookctl.ReplayReply{Accepted: max(len(req.IDs), 3)}
		case strings.Contains(m.Subject, ".nohook."):
			reply = webhookctl.TestReply{Error: &webhookctl.Error{Code: webhookctl.CodeNoWebhook, Message: "none"}}
		default:
			reply = webhookctl.TestReply{EventID: "p1", URL: "https://h.example/x", StatusCode: 418, Failure: "http status 418"}
		}
		raw, _ := json.Marshal(reply)
		_ = m.Respond(raw)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
}

func TestWebhookRoutes(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.WebhookWait = 500 * time.Millisecond })
	id := e.create(keyA, map[string]any{"id": "s1", "webhook": map[string]any{"url": "https://h.example/x"}})
	e.create(keyA, map[string]any{"id": "nohook"})
	base := "/api/v1/sessions/" + id + "/webhooks"

	// No worker answers: 503, not a hang.
	if r := e.call("GET", base+"/dead-letters", keyA, nil); r.status != http.StatusServiceUnavailable || r.errCode() != "webhooks_unavailable" {
		t.Fatalf("no worker: %d %s", r.status, r.body)
	}
	var s standIn
	s.start(t, e.nc)

	r := e.call("GET", base+"/dead-letters?limit=1&offset=2", keyA, nil)
	mustStatus(t, r, http.StatusOK)
	var list struct {
		DeadLetters []map[string]any `json:"dead_letters"`
		Total       int              `json:"total"`
	}
	if err := json.Unmarshal(r.body, &list); err != nil || list.Total != 3 || len(list.DeadLetters) != 1 {
		t.Fatalf("list %s", r.body)
	}
	for _, f := range []string{"id", "event_id", "event_type", "url", "status_code", "error", "attempts", "failed_at"} {
		if _, ok := list.DeadLetters[0][f]; !ok {
			t.Errorf("dead letter lacks %q: %s", f, r.body)
		}
	}
	if r := e.call("GET", base+"/dead-letters?limit=x", keyA, nil); r.status != http.StatusBadRequest {
		t.Errorf("bad limit: %d", r.status)
	}

	for body, want := range map[string]float64{``: 3, `{}`: 3, `{"ids":[1,2,3,4,5]}`: 5} {
		r := e.call("POST", base+"/dead-letters/replay", keyA, body)
		if r.status != http.StatusAccepted || r.json(t)["accepted"] != want {
			t.Errorf("replay %q: %d %s", body, r.status, r.body)
		}
	}
	for _, bad := range []string{`{"ids":"all"}`, `{"ids":[1],"x":1}`, `[`} {
		if r := e.call("POST", base+"/dead-letters/replay", keyA, bad); r.status != http.StatusBadRequest {
			t.Errorf("replay %q: %d %s", bad, r.status, r.body)
		}
	}

	r = e.call("POST", base+"/test", keyA, nil)
	mustStatus(t, r, http.StatusOK)
	if m := r.json(t); m["status_code"] != float64(418) || m["delivered"] != false || m["event_id"] != "p1" {
		t.Errorf("test %s", r.body)
	}
	if r := e.call("POST", "/api/v1/sessions/nohook/webhooks/test", keyA, nil); r.status != http.StatusConflict || r.errCode() != "no_webhook" {
		t.Errorf("test without webhook: %d %s", r.status, r.body)
	}

	// Another tenant's session (same id) is not found, and nothing is asked
	// of the workers on its behalf.
	s.mu.Lock()
	asked := len(s.subj)
	s.mu.Unlock()
	for _, c := range [][2]string{{"GET", base + "/dead-letters"}, {"POST", base + "/dead-letters/replay"}, {"POST", base + "/test"}} {
		if r := e.call(c[0], c[1], keyB, nil); r.status != http.StatusNotFound {
			t.Errorf("tenant B %s %s: %d", c[0], c[1], r.status)
		}
		if r := e.call(c[0], c[1], "", nil); r.status != http.StatusUnauthorized {
			t.Errorf("no key %s %s: %d", c[0], c[1], r.status)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.subj) != asked {
		t.Errorf("requests on behalf of another tenant: %v", s.subj[asked:])
	}
	for _, subj := range s.subj {
		if !strings.HasPrefix(subj, subject.WebhookControlPrefix+"."+tenantA+".") {
			t.Errorf("request subject %s not scoped to the tenant", subj)
		}
	}
	if !strings.Contains(strings.Join(s.data, " "), `"ids":[1,2,3,4,5]`) {
		t.Errorf("replay ids not passed: %v", s.data)
	}
}
