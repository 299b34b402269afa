package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/api/httpapi"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// sse is a client of GET /api/v1/events that collects data lines.
type sse struct {
	resp  *http.Response
	data  chan string
	other chan string // comment lines
}

func (e *env) openEvents(t testing.TB, key, query string) *sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.base+"/api/v1/events"+query, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := (&http.Client{}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("events: status %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q", ct)
	}
	s := &sse{resp: res, data: make(chan string, 1024), other: make(chan string, 1024)}
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "data: "):
				s.data <- strings.TrimPrefix(line, "data: ")
			case strings.HasPrefix(line, ":"):
				select {
				case s.other <- line:
				default:
				}
			}
		}
		close(s.data)
	}()
	// The stream is subscribed once its first comment arrived.
	select {
	case <-s.other:
	case <-time.After(5 * time.Second):
		t.Fatal("no connected comment")
	}
	return s
}

func (s *sse) next(t testing.TB) event.Envelope {
	t.Helper()
	select {
	case d, ok := <-s.data:
		if !ok {
			t.Fatal("stream ended")
		}
		var env event.Envelope
		if err := json.Unmarshal([]byte(d), &env); err != nil {
			t.Fatalf("data %q: %v", d, err)
		}
		return env
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
	}
	return event.Envelope{}
}

func (s *sse) none(t testing.TB, within time.Duration) {
	t.Helper()
	select {
	case d := <-s.data:
		t.Fatalf("unexpected event %s", d)
	case <-time.After(within):
	}
}

// publishEvent publishes an envelope as a worker does (JetStream, WA_EVT).
func (e *env) publishEvent(t testing.TB, tenant, sess string, typ event.Type, id string) {
	t.Helper()
	body, _ := json.Marshal(event.Envelope{ID: id, Type: typ, Tenant: tenant, Session: sess, Time: time.Now().UTC(),
		Data: json.RawMessage(`{"status":"WORKING"}`)})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := e.js.Publish(ctx, subject.Event(tenant, sess, string(typ)), body); err != nil {
		t.Fatal(err)
	}
}

func TestEventsStreamIsTenantScoped(t *testing.T) {
	e := newEnv(t)
	all := e.openEvents(t, keyA, "")
	one := e.openEvents(t, keyA, "?session=s1")
	other := e.openEvents(t, keyB, "")

	e.publishEvent(t, tenantB, "s1", event.StatusChanged, "b-1")
	e.publishEvent(t, tenantA, "s1", event.StatusChanged, "a-1")
	e.publishEvent(t, tenantA, "s2", event.QR, "a-2")
	e.publishEvent(t, tenantA, "s1", event.PairCode, "a-3")

	for _, want := range []string{"a-1", "a-2", "a-3"} {
		if got := all.next(t); got.ID != want || got.Tenant != tenantA {
			t.Fatalf("tenant stream got %s/%s, want %s", got.Tenant, got.ID, want)
		}
	}
	for _, want := range []string{"a-1", "a-3"} {
		if got := one.next(t); got.ID != want || got.Session != "s1" {
			t.Fatalf("session stream got %s/%s, want s1/%s", got.Session, got.ID, want)
		}
	}
	if got := other.next(t); got.ID != "b-1" {
		t.Fatalf("tenant B got %s", got.ID)
	}
	other.none(t, 200*time.Millisecond)
	one.none(t, 0)
}

func TestEventsStreamErrors(t *testing.T) {
	e := newEnv(t)
	r := e.call("GET", "/api/v1/events", "", nil)
	mustStatus(t, r, http.StatusUnauthorized)
	r = e.call("GET", "/api/v1/events?session=a.b", keyA, nil)
	mustStatus(t, r, http.StatusBadRequest)
	if r.errCode() != "invalid_session_id" {
		t.Fatalf("code %q", r.errCode())
	}
	// "events" stays a valid session id under /api/v1/sessions/.
	r = e.call("GET", "/api/v1/sessions/events", keyA, nil)
	mustStatus(t, r, http.StatusNotFound)
	if r.errCode() != "session_not_found" {
		t.Fatalf("GET /api/v1/sessions/events: code %q", r.errCode())
	}
}

func TestEventsHeartbeat(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.EventHeartbeat = 20 * time.Millisecond })
	s := e.openEvents(t, keyA, "")
	select {
	case line := <-s.other:
		if line != ": ping" {
			t.Fatalf("comment %q", line)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no heartbeat")
	}
}

// A reader that stops reading is dropped; the others keep getting events
// at once.
func TestEventsSlowReaderIsDropped(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.EventBuffer = 4 })
	fast := e.openEvents(t, keyA, "")

	// The slow reader: subscribed, never reads its body.
	req, _ := http.NewRequest("GET", e.base+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+keyA)
	slow, err := (&http.Client{}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Body.Close()

	// Large events fill the slow reader's socket buffers, then its queue.
	big := strings.Repeat("x", 256<<10)
	for i := range 64 {
		body, _ := json.Marshal(event.Envelope{ID: "big-" + string(rune('a'+i%26)), Type: event.MessageReceived,
			Tenant: tenantA, Session: "s1", Time: time.Now().UTC(), Data: json.RawMessage(`{"text":"` + big + `"}`)})
		if err := e.nc.Publish(subject.Event(tenantA, "s1", string(event.MessageReceived)), body); err != nil {
			t.Fatal(err)
		}
		fast.next(t) // the fast reader is never held up
	}
	// The slow stream was ended by the server: its body ends (after the
	// buffered part) with the "dropped" comment.
	done := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(slow.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		last := ""
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), ":") {
				last = sc.Text()
			}
		}
		done <- last
	}()
	select {
	case last := <-done:
		if !strings.HasPrefix(last, ": dropped") {
			t.Fatalf("slow stream ended with %q", last)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the slow reader was not dropped")
	}
}
