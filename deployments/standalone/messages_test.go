package standalone_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// statusHooks is a webhook receiver that keeps every envelope, in order.
type statusHooks struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []map[string]any
}

func newStatusHooks(t *testing.T) *statusHooks {
	h := &statusHooks{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var env map[string]any
		if err := json.Unmarshal(body, &env); err == nil {
			h.mu.Lock()
			h.got = append(h.got, env)
			h.mu.Unlock()
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// statuses returns the message_status steps received for message id.
func (h *statusHooks) statuses(id string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, env := range h.got {
		data, _ := env["data"].(map[string]any)
		if env["type"] == "message_status" && data["id"] == id {
			out = append(out, data["status"].(string))
		}
	}
	return out
}

// registerPhone registers a WhatsApp account at the simulator.
func registerPhone(t testing.TB, phone string) {
	t.Helper()
	if code, out := simPost(t, "/phones", map[string]any{"phone": phone, "push_name": "Bob"}); code != 200 {
		t.Fatalf("register phone: %d %v", code, out)
	}
}

// inbox returns what a simulated phone received.
func inbox(t testing.TB, phone string) []map[string]any {
	t.Helper()
	resp, err := http.Get("http://" + sim.ControlAddr() + "/phones/" + strings.TrimPrefix(phone, "+") + "/messages")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Messages []map[string]any `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

// waitInbox polls a phone's inbox until it holds message id; it returns it.
func waitInbox(t testing.TB, phone, id string, within time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, m := range inbox(t, phone) {
			if m["id"] == id {
				return m
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("phone %s: message %s not received within %v", phone, id, within)
	return nil
}

// send posts a message and returns the accepted message object.
func (a *api) send(session, to, text string, headers ...string) map[string]any {
	a.t.Helper()
	code, out := a.doH("POST", "/api/v1/sessions/"+session+"/messages", map[string]any{"to": to, "text": text}, headers...)
	if code != 202 {
		a.t.Fatalf("send: %d %v", code, out)
	}
	return out["message"].(map[string]any)
}

// waitMessage polls a message until its status is want.
func (a *api) waitMessage(session, id, want string, within time.Duration) map[string]any {
	a.t.Helper()
	deadline := time.Now().Add(within)
	var last map[string]any
	for time.Now().Before(deadline) {
		_, last = a.do("GET", "/api/v1/sessions/"+session+"/messages/"+id, nil)
		if last["status"] == want {
			return last
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.t.Fatalf("message %s: %v after %v, want status %s", id, last, within, want)
	return nil
}

// doH is do with extra request headers (name, value pairs).
func (a *api) doH(method, path string, body any, headers ...string) (int, map[string]any) {
	a.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, a.base+path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.key)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}
