package standalone_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/config"
)

// The dead-letter and test routes end to end: api → NATS request/reply →
// the worker's webhook role → database and receiver. A receiver refusing
// everything (410) dead-letters the session's events; they are listed,
// paged, replayed once it accepts (same event ids), and a test ping gets
// the receiver's status.
func TestWebhookDeadLetterRoutes(t *testing.T) {
	var accept atomic.Bool
	var mu sync.Mutex
	var replayed []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Header.Get("X-Switchboard-Event") == "ping" {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		if !accept.Load() {
			w.WriteHeader(http.StatusGone)
			return
		}
		mu.Lock()
		replayed = append(replayed, r.Header.Get("X-Switchboard-Event-Id"))
		mu.Unlock()
	}))
	defer recv.Close()
	_, a := gateway(t, t.TempDir(), "")
	a.must(201, "POST", "/api/v1/sessions", map[string]any{"id": "dl", "webhook": map[string]any{"url": recv.URL + "/h", "secret": "s"}})
	base := "/api/v1/sessions/dl/webhooks"

	var list map[string]any
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, list = a.do("GET", base+"/dead-letters", nil)
		if n, _ := list["total"].(float64); n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no dead letters within 20 s: %v", list)
		}
		time.Sleep(100 * time.Millisecond)
	}
	total := int(list["total"].(float64))
	dls := list["dead_letters"].([]any)
	first := dls[0].(map[string]any)
	if first["status_code"] != float64(410) || first["url"] != recv.URL+"/h" || first["event_id"] == "" {
		t.Errorf("dead letter %v", first)
	}
	if _, page := a.do("GET", base+"/dead-letters?limit=1&offset=1", nil); len(page["dead_letters"].([]any)) != 1 ||
		page["dead_letters"].([]any)[0].(map[string]any)["id"] != dls[1].(map[string]any)["id"] {
		t.Errorf("page %v", page)
	}
	if code, _ := a.as("acme-key-0123456789").do("GET", base+"/dead-letters", nil); code != http.StatusNotFound {
		t.Errorf("another tenant: %d", code)
	}

	accept.Store(true)
	code, out := a.do("POST", base+"/dead-letters/replay", map[string]any{})
	if code != http.StatusAccepted || out["accepted"].(float64) < float64(total) {
		t.Fatalf("replay: %d %v", code, out)
	}
	for {
		_, list = a.do("GET", base+"/dead-letters", nil)
		if list["total"] == float64(0) {
			break
		}
		if time.Now().After(deadline.Add(10 * time.Second)) {
			t.Fatalf("dead letters left after replay: %v", list)
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	got := strings.Join(replayed, " ")
	mu.Unlock()
	if !strings.Contains(got, first["event_id"].(string)) {
		t.Errorf("replayed ids %s lack %s", got, first["event_id"])
	}

	code, out = a.do("POST", base+"/test", nil)
	if code != http.StatusOK || out["status_code"] != float64(202) || out["delivered"] != true {
		t.Errorf("test ping: %d %v", code, out)
	}
}

// With the guard closed (the default), a loopback webhook is refused at
// create time.
func TestWebhookGuardClosedByDefault(t *testing.T) {
	_, a := gateway(t, t.TempDir(), "", func(c *config.Config) { c.WebhookAllowPrivate = false })
	code, out := a.do("POST", "/api/v1/sessions", map[string]any{"id": "x", "webhook": map[string]any{"url": "http://127.0.0.1:9/h"}})
	if code != http.StatusBadRequest || !strings.Contains(strings.ToLower(toString(out)), "invalid_webhook_url") {
		t.Errorf("loopback webhook: %d %v", code, out)
	}
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
