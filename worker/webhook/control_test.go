package webhook_test

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
	"github.com/switchboard-gw/switchboard/shared/webhookctl"
)

// request sends a control request as the api does and decodes the reply.
func (e *env) request(tenant, sess, op string, req, reply any) {
	e.t.Helper()
	raw, _ := json.Marshal(req)
	msg, err := e.js.Conn().Request(subject.WebhookControl(tenant, sess, op), raw, 10*time.Second)
	if err != nil {
		e.t.Fatalf("%s: %v", op, err)
	}
	if err := json.Unmarshal(msg.Data, reply); err != nil {
		e.t.Fatalf("%s reply %s: %v", op, msg.Data, err)
	}
}

// testSealer is AES-GCM with a fixed key, standing in for the master key.
type testSealer struct{ aead cipher.AEAD }

func newTestSealer() testSealer {
	block, _ := aes.NewCipher([]byte("0123456789abcdef0123456789abcdef"))
	aead, _ := cipher.NewGCM(block)
	return testSealer{aead}
}

func (s testSealer) Seal(plain, ad []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize()) // fixed nonce: test only
	return s.aead.Seal(nonce, nonce, plain, ad), nil
}

func (s testSealer) Open(sealed, ad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	return s.aead.Open(nil, sealed[:n], sealed[n:], ad)
}

// Dead letters over the control subjects: paged list with total, tenant
// scoping, replay of some then all (same event id, signed), bodies sealed
// at rest.
func TestControlDeadLettersAndReplay(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	var accept atomic.Bool
	e.rcv.setRespond(func(string, int) int {
		if accept.Load() {
			return http.StatusOK
		}
		return http.StatusGone // permanent: dead-lettered at once
	})
	e.putSession("s1", session.Webhook{URL: e.rcv.url("/hook"), Secret: secret})
	cfg := testConfig()
	cfg.Sealer = newTestSealer()
	e.start(cfg)
	var ids []string
	for i := range 5 {
		ids = append(ids, e.publish("s1", event.MessageReceived, fmt.Sprintf("m%d", i), msg("secret text")))
	}
	e.settled()
	// The stream's consumer settles when the lanes have taken the events,
	// which can be before the last refused delivery is recorded (seen on a
	// loaded CI: the list held 1 of 5).
	e.eventually("5 dead letters recorded", func() bool {
		return e.count(`SELECT COUNT(*) FROM switchboard_webhook_dead_letters`) == 5
	})

	var list webhookctl.ListReply
	e.request(tenant, "s1", subject.WebhookOpDeadLetters, webhookctl.ListRequest{Limit: 2, Offset: 1}, &list)
	if list.Error != nil || list.Total != 5 || len(list.DeadLetters) != 2 {
		t.Fatalf("list %+v", list)
	}
	dl := list.DeadLetters[0]
	if dl.EventID != ids[1] || dl.StatusCode != 410 || dl.Attempts != 1 || dl.EventType != "message" ||
		dl.URL != e.rcv.url("/hook") || dl.Error == "" || time.Since(dl.FailedAt) > time.Minute {
		t.Errorf("dead letter %+v", dl)
	}
	var other webhookctl.ListReply
	e.request("other-tenant", "s1", subject.WebhookOpDeadLetters, webhookctl.ListRequest{}, &other)
	if other.Total != 0 || len(other.DeadLetters) != 0 {
		t.Errorf("another tenant sees %+v", other)
	}
	if n := e.count(`SELECT COUNT(*) FROM switchboard_webhook_dead_letters WHERE body LIKE '%secret text%'`); n != 0 {
		t.Errorf("%d dead letter bodies in plaintext", n)
	}

	accept.Store(true)
	var rep webhookctl.ReplayReply
	e.request("other-tenant", "s1", subject.WebhookOpReplay, webhookctl.ReplayRequest{IDs: []int64{dl.ID}}, &rep)
	if rep.Accepted != 0 {
		t.Fatalf("another tenant replayed %d", rep.Accepted)
	}
	e.request(tenant, "s1", subject.WebhookOpReplay, webhookctl.ReplayRequest{IDs: []int64{dl.ID}}, &rep)
	if rep.Accepted != 1 {
		t.Fatalf("replay one: %+v", rep)
	}
	e.eventually("one replayed", func() bool { return len(e.rcv.requests("")) == 6 })
	last := e.rcv.requests("")[5]
	verify(t, last, secret)
	if got := last.header.Get(event.HeaderEventID); got != ids[1] {
		t.Errorf("replayed event id %q, want %q", got, ids[1])
	}
	var env event.Envelope
	if err := json.Unmarshal(last.body, &env); err != nil || env.ID != ids[1] || !strings.Contains(string(env.Data), "secret text") {
		t.Errorf("replayed body %s", last.body)
	}
	e.request(tenant, "s1", subject.WebhookOpReplay, webhookctl.ReplayRequest{}, &rep)
	if rep.Accepted != 4 {
		t.Fatalf("replay all: %+v", rep)
	}
	e.eventually("all replayed", func() bool {
		var l webhookctl.ListReply
		e.request(tenant, "s1", subject.WebhookOpDeadLetters, webhookctl.ListRequest{}, &l)
		return l.Total == 0
	})
}

// The test ping is signed, typed "ping" and answered with the receiver's
// status.
func TestControlPing(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	e.rcv.setRespond(func(path string, _ int) int {
		if path == "/teapot" {
			return http.StatusTeapot
		}
		return http.StatusNoContent
	})
	e.putSession("s1", session.Webhook{URL: e.rcv.url("/hook"), Secret: secret}, session.Webhook{URL: e.rcv.url("/teapot")})
	e.putSession("bare")
	e.start(testConfig())
	var ping webhookctl.TestReply
	e.request(tenant, "s1", subject.WebhookOpTest, struct{}{}, &ping)
	if ping.Error != nil || ping.StatusCode != 204 || !ping.Delivered || ping.URL != e.rcv.url("/hook") {
		t.Fatalf("ping %+v", ping)
	}
	q := e.rcv.requests("/hook")[0]
	verify(t, q, secret)
	if q.header.Get(event.HeaderEvent) != "ping" || q.header.Get(event.HeaderEventID) != ping.EventID {
		t.Errorf("ping headers %v", q.header)
	}
	e.request(tenant, "s1", subject.WebhookOpTest, webhookctl.TestRequest{URL: e.rcv.url("/teapot")}, &ping)
	if ping.StatusCode != 418 || ping.Delivered {
		t.Errorf("teapot ping %+v", ping)
	}
	e.request(tenant, "bare", subject.WebhookOpTest, struct{}{}, &ping)
	if ping.Error == nil || ping.Error.Code != webhookctl.CodeNoWebhook {
		t.Errorf("ping without webhook %+v", ping)
	}
	e.request("other-tenant", "s1", subject.WebhookOpTest, struct{}{}, &ping)
	if ping.Error == nil {
		t.Errorf("another tenant pinged %+v", ping)
	}
}

// Dead letters older than DeadLetterRetention are swept (at start, then
// hourly); newer ones stay.
func TestDeadLettersExpire(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	old := time.Now().Add(-8 * 24 * time.Hour).UnixMilli()
	for i, at := range []int64{old, time.Now().UnixMilli()} {
		if _, err := e.db.ExecContext(e.ctx, `INSERT INTO switchboard_webhook_dead_letters
			(tenant, session, event_id, event_type, url, url_hash, body, status_code, last_error, attempts, created_at)
			VALUES ($1, 's1', $2, 'message', 'http://x', $3, '{}', 500, 'e', 1, $4)`, tenant, fmt.Sprint(i), fmt.Sprint(i), at); err != nil {
			t.Fatal(err)
		}
	}
	e.start(testConfig()) // default retention: 7 days
	e.eventually("expired dead letter swept", func() bool {
		return e.count(`SELECT COUNT(*) FROM switchboard_webhook_dead_letters`) == 1
	})
	if n := e.count(`SELECT COUNT(*) FROM switchboard_webhook_dead_letters WHERE event_id='1'`); n != 1 {
		t.Error("a fresh dead letter was swept")
	}
}
