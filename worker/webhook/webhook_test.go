package webhook_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/webhook"
)

const (
	secret = "s3cret-hmac-key"
	token  = "tok-9f8e7d" // in a webhook query string: must not reach logs
)

func msg(text string) event.Message { return event.Message{ID: text, From: "a", Chat: "b", Text: text} }

// The tests that write outcome rows run on SQLite and Postgres, each on a
// fresh database.
func TestSigned(t *testing.T)           { devstoretest.ForEach(t, testSigned) }
func TestRetryThenSuccess(t *testing.T) { devstoretest.ForEach(t, testRetry) }
func TestClientErrorDeadLetters(t *testing.T) {
	devstoretest.ForEach(t, testPermanent)
}
func TestExhaustedThenReplayed(t *testing.T) { devstoretest.ForEach(t, testExhaustedReplay) }

func testSigned(t *testing.T, dbURL string) {
	e := newEnv(t, dbURL)
	e.putSession("s1",
		session.Webhook{URL: e.rcv.url("/signed?token=" + token), Secret: secret},
		session.Webhook{URL: e.rcv.url("/plain")})
	e.start(testConfig())
	id := e.publish("s1", event.MessageReceived, "m1", msg("hi"))
	e.eventually("two deliveries", func() bool { return len(e.rcv.requests("")) == 2 })
	e.settled()

	q := e.rcv.requests("/signed")[0]
	verify(t, q, secret)
	for h, want := range map[string]string{
		"Content-Type": "application/json", "User-Agent": "Switchboard-Webhook/1",
		event.HeaderEvent: "message", event.HeaderEventID: id,
	} {
		if got := q.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	var env event.Envelope
	if err := json.Unmarshal(q.body, &env); err != nil || env.ID != id || env.Type != event.MessageReceived {
		t.Errorf("body %s: %v", q.body, err)
	}
	if p := e.rcv.requests("/plain")[0]; p.header.Get(event.HeaderSignature) != "" {
		t.Error("signature sent without a secret")
	}
	e.eventually("delivered rows", func() bool {
		return e.count(`SELECT COUNT(*) FROM switchboard_webhook_deliveries WHERE event_id=$1 AND delivered_at IS NOT NULL AND failed_at IS NULL`, id) == 2
	})
	e.assertClean(secret, token)
}

func testRetry(t *testing.T, dbURL string) {
	e := newEnv(t, dbURL)
	e.rcv.setRespond(func(path string, n int) int {
		if path == "/flaky" && n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	e.putSession("s1", session.Webhook{URL: e.rcv.url("/flaky")}, session.Webhook{URL: e.rcv.url("/steady")})
	e.start(testConfig())
	id := e.publish("s1", event.MessageReceived, "m1", msg("hi"))
	e.eventually("third attempt", func() bool { return len(e.rcv.requests("/flaky")) == 3 })
	e.settled()
	if n := len(e.rcv.requests("/steady")); n != 1 {
		t.Errorf("steady target got %d requests, want 1 (no resend to a delivered target)", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM switchboard_webhook_deliveries WHERE event_id=$1 AND attempt=3 AND delivered_at IS NOT NULL`, id); n != 1 {
		t.Errorf("flaky outcome rows at attempt 3 = %d, want 1", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM switchboard_webhook_dead_letters`); n != 0 {
		t.Errorf("%d dead letters after a success", n)
	}
}

func testPermanent(t *testing.T, dbURL string) {
	e := newEnv(t, dbURL)
	e.rcv.setRespond(func(string, int) int { return http.StatusBadRequest })
	e.putSession("s1", session.Webhook{URL: e.rcv.url("/bad?token=" + token), Secret: secret})
	d := e.start(testConfig())
	id := e.publish("s1", event.MessageReceived, "m1", msg("hi"))
	e.settled()
	time.Sleep(200 * time.Millisecond) // longer than the whole backoff: no retry may follow
	if n := len(e.rcv.requests("")); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
	dls, err := d.DeadLetters(e.ctx, tenant, "s1", 10)
	if err != nil || len(dls) != 1 {
		t.Fatalf("dead letters %v, %v", dls, err)
	}
	dl := dls[0]
	if dl.EventID != id || dl.Attempts != 1 || dl.StatusCode != 400 || dl.EventType != "message" || !json.Valid(dl.Body) {
		t.Errorf("dead letter %+v", dl)
	}
	if other, _ := d.DeadLetters(e.ctx, "other-tenant", "s1", 10); len(other) != 0 {
		t.Error("dead letters visible to another tenant")
	}
	e.assertClean(secret, token)
}

func testExhaustedReplay(t *testing.T, dbURL string) {
	e := newEnv(t, dbURL)
	var down sync.Mutex
	failing := true
	e.rcv.setRespond(func(string, int) int {
		down.Lock()
		defer down.Unlock()
		if failing {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	e.putSession("s1", session.Webhook{URL: e.rcv.url("/down?token=" + token), Secret: secret})
	d := e.start(testConfig())
	id := e.publish("s1", event.MessageReceived, "m1", msg("hi"))
	e.eventually("three attempts", func() bool { return len(e.rcv.requests("")) == 3 })
	e.settled()
	dls, err := webhook.ListDeadLetters(e.ctx, e.db, tenant, "s1", 10, 0)
	if err != nil || len(dls) != 1 || dls[0].Attempts != 3 || dls[0].EventID != id || dls[0].StatusCode != 503 {
		t.Fatalf("dead letters %+v, %v", dls, err)
	}
	e.assertClean(secret, token)

	// A failed replay keeps the dead letter and counts the attempt.
	if err := d.Replay(e.ctx, tenant, "s1", dls[0].ID); !errors.Is(err, webhook.ErrReplayFailed) {
		t.Fatalf("replay against a down target: %v", err)
	}
	if dl, _ := webhook.GetDeadLetter(e.ctx, e.db, tenant, "s1", dls[0].ID); dl.Attempts != 4 {
		t.Errorf("attempts after failed replay = %d, want 4", dl.Attempts)
	}
	if err := d.Replay(e.ctx, "other-tenant", "s1", dls[0].ID); !errors.Is(err, webhook.ErrNotFound) {
		t.Errorf("replay from another tenant: %v", err)
	}

	down.Lock()
	failing = false
	down.Unlock()
	if err := d.Replay(e.ctx, tenant, "s1", dls[0].ID); err != nil {
		t.Fatalf("replay: %v", err)
	}
	reqs := e.rcv.requests("")
	last := reqs[len(reqs)-1]
	verify(t, last, secret)
	if last.header.Get(event.HeaderEventID) != id {
		t.Errorf("replayed event id %q", last.header.Get(event.HeaderEventID))
	}
	if _, err := webhook.GetDeadLetter(e.ctx, e.db, tenant, "s1", dls[0].ID); !errors.Is(err, webhook.ErrNotFound) {
		t.Errorf("dead letter after replay: %v", err)
	}
	if n := e.count(`SELECT COUNT(*) FROM switchboard_webhook_deliveries WHERE event_id=$1 AND delivered_at IS NOT NULL AND failed_at IS NULL`, id); n != 1 {
		t.Errorf("delivered rows after replay = %d", n)
	}
	if err := d.Replay(e.ctx, tenant, "s1", dls[0].ID); !errors.Is(err, webhook.ErrNotFound) {
		t.Errorf("second replay: %v", err)
	}
	e.assertClean(secret, token)
}

func TestEventFilter(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	e.putSession("s1",
		session.Webhook{URL: e.rcv.url("/messages"), Events: []string{"message"}},
		session.Webhook{URL: e.rcv.url("/seed"), Events: []string{"connected", "disconnected", "logged_out"}},
		session.Webhook{URL: e.rcv.url("/all")})
	e.start(testConfig())
	e.publish("s1", event.MessageReceived, "m1", msg("hi"))
	e.publish("s1", event.LoggedIn, "1", event.Status{Status: "WORKING"})
	e.publish("s1", event.StatusChanged, "2", event.Status{Status: "WORKING", Previous: "CONNECTED"})
	e.publish("s1", event.StatusChanged, "3", event.Status{Status: "STOPPED", Previous: "WORKING"})
	e.publish("s1", event.LoggedOut, "4", event.Status{Status: "LOGGED_OUT"})
	e.eventually("all target", func() bool { return len(e.rcv.requests("/all")) == 5 })
	e.settled()
	types := func(path string) string {
		var out []string
		for _, q := range e.rcv.requests(path) {
			var env event.Envelope
			_ = json.Unmarshal(q.body, &env)
			out = append(out, string(env.Type)+":"+string(env.Data))
		}
		return strings.Join(out, " ")
	}
	if got := types("/messages"); !strings.HasPrefix(got, "message:") || strings.Contains(got, " ") {
		t.Errorf("message filter got %s", got)
	}
	seed := types("/seed")
	for _, want := range []string{"logged_in:", `session_status:{"status":"STOPPED"`, "session_logged_out:"} {
		if !strings.Contains(seed, want) {
			t.Errorf("seed filter missed %s in %s", want, seed)
		}
	}
	if strings.Contains(seed, `"status":"WORKING","previous"`) || strings.Contains(seed, "message:") {
		t.Errorf("seed filter got too much: %s", seed)
	}
}

func TestNoWebhooks(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	e.putSession("quiet")
	e.start(testConfig())
	e.publish("quiet", event.MessageReceived, "m1", msg("hi"))
	e.publish("missing", event.MessageReceived, "m1", msg("hi")) // no record at all
	e.settled()
	if n := len(e.rcv.requests("")); n != 0 {
		t.Errorf("%d requests for sessions without webhooks", n)
	}
}

func TestTwoDispatchersDeliverOnce(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	e.putSession("s1", session.Webhook{URL: e.rcv.url("/hook"), Secret: secret})
	e.start(testConfig())
	e.start(testConfig())
	const n = 40
	for i := range n {
		e.publish("s1", event.MessageReceived, string(rune('a'+i%26))+string(rune('a'+i/26)), msg("hi"))
	}
	e.eventually("all events", func() bool { return len(e.rcv.requests("")) >= n })
	e.settled()
	seen := map[string]int{}
	for _, q := range e.rcv.requests("") {
		seen[q.header.Get(event.HeaderEventID)]++
	}
	if len(seen) != n {
		t.Errorf("%d distinct events, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("event %s delivered %d times", id, c)
		}
	}
}
