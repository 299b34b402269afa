package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
	"github.com/switchboard-gw/switchboard/shared/netguard"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
	"github.com/switchboard-gw/switchboard/worker/webhook"
)

const tenant = "t1"

// env is one test's NATS, database, receiver and log capture.
type env struct {
	t    testing.TB
	ctx  context.Context
	js   jetstream.JetStream
	b    *bus.Buckets
	ds   *devstore.Store
	db   *sql.DB
	log  *zap.Logger
	logs *observer.ObservedLogs
	rcv  *receiver
}

func newEnv(t testing.TB, dbURL string) *env {
	t.Helper()
	_, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	b, err := bus.Ensure(ctx, js, bus.Config{})
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(zapcore.NewTee(core, zaptest.NewLogger(t, zaptest.Level(zapcore.ErrorLevel)).Core()))
	ds, err := devstore.Open(ctx, dbURL, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ds.Close() })
	return &env{t: t, ctx: ctx, js: js, b: b, ds: ds, db: ds.DB(), log: log, logs: logs, rcv: newReceiver(t)}
}

// testConfig retries fast: three attempts 50 ms and 100 ms apart. The
// receivers are on loopback, so the SSRF guard is opened explicitly.
func testConfig() webhook.Config {
	return webhook.Config{
		MaxAttempts:     3,
		Backoff:         []time.Duration{50 * time.Millisecond, 100 * time.Millisecond},
		Timeout:         2 * time.Second,
		BreakerFailures: 20,
		BreakerOpen:     200 * time.Millisecond,
		AckWait:         3 * time.Second,
		Guard:           netguard.Policy{AllowPrivate: true},
	}
}

// start starts a dispatcher stopped when the test ends.
func (e *env) start(cfg webhook.Config) *webhook.Dispatcher {
	e.t.Helper()
	cfg.Leases = e.b.Leases
	d, err := webhook.New(cfg, e.js, e.b.Sessions, e.ds, e.log)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := d.Start(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.Stop(ctx); err != nil {
			e.t.Errorf("stop: %v", err)
		}
	})
	return d
}

// putSession writes a session record with webhooks.
func (e *env) putSession(id string, hooks ...session.Webhook) {
	e.t.Helper()
	e.putTenantSession(tenant, id, hooks...)
}

// putTenantSession writes a session record of another tenant.
func (e *env) putTenantSession(tenant, id string, hooks ...session.Webhook) {
	e.t.Helper()
	rec := session.Record{Tenant: tenant, ID: id, Desired: session.DesiredRunning, Config: session.Config{Webhooks: hooks}}
	raw, err := json.Marshal(rec)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.b.Sessions.Put(e.ctx, subject.SessionKey(tenant, id), raw); err != nil {
		e.t.Fatal(err)
	}
}

// publish publishes one event as the worker does and returns its id.
func (e *env) publish(sess string, typ event.Type, occurrence string, data any) string {
	e.t.Helper()
	return e.publishAs(tenant, sess, typ, occurrence, data)
}

// publishAs publishes one event of another tenant.
func (e *env) publishAs(tenant, sess string, typ event.Type, occurrence string, data any) string {
	e.t.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		e.t.Fatal(err)
	}
	id := tenant + "/" + sess + "/" + string(typ) + "/" + occurrence
	body, err := json.Marshal(event.Envelope{ID: id, Type: typ, Tenant: tenant, Session: sess, Time: time.Now(), Data: raw})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.js.Publish(e.ctx, subject.Event(tenant, sess, string(typ)), body, jetstream.WithMsgID(id)); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// eventually polls cond until it holds or 10 s pass.
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	e.eventuallyWithin(what, 10*time.Second, cond)
}

// eventuallyWithin polls cond until it holds or within passes.
func (e *env) eventuallyWithin(what string, within time.Duration, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settled waits until the consumer has nothing pending or unacked.
func (e *env) settled() {
	e.t.Helper()
	e.eventually("consumer settled", func() bool {
		c, err := e.js.Consumer(e.ctx, subject.EventStream, subject.WebhookConsumer)
		if err != nil {
			return false
		}
		info, err := c.Info(e.ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
}

// count runs a COUNT(*) query.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRowContext(e.ctx, query, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// assertClean checks that no row of the webhook tables holds the secret and
// no log line holds the secret or the URL token. (Rows keep the whole URL:
// replay needs it.)
func (e *env) assertClean(secret, token string) {
	e.t.Helper()
	for _, table := range []string{"switchboard_webhook_deliveries", "switchboard_webhook_dead_letters"} {
		rows, err := e.db.QueryContext(e.ctx, "SELECT * FROM "+table)
		if err != nil {
			e.t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				e.t.Fatal(err)
			}
			for i, v := range vals {
				if strings.Contains(fmt.Sprint(v), secret) || strings.Contains(string(asBytes(v)), secret) {
					e.t.Errorf("%s.%s holds the secret", table, cols[i])
				}
			}
		}
		_ = rows.Close()
	}
	targets := 0
	for _, entry := range e.logs.All() {
		if t, ok := entry.ContextMap()["target"].(string); ok {
			targets++
			if strings.Count(t, "/") != 2 || strings.Contains(t, "?") {
				e.t.Errorf("logged target %q is more than scheme and host", t)
			}
		}
		line := entry.Message + fmt.Sprint(entry.ContextMap())
		if strings.Contains(line, secret) || strings.Contains(line, token) {
			e.t.Errorf("log line holds the secret or the url token: %q", entry.Message)
		}
	}
	if targets == 0 {
		e.t.Error("no log line names a target: nothing was checked")
	}
}

func asBytes(v any) []byte {
	if b, ok := v.([]byte); ok {
		return b
	}
	return nil
}

// request is one delivery seen by the receiver.
type request struct {
	status int // the status the receiver answered
	path   string
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint. respond chooses the status of the n-th
// request (1-based) to a path; the default is 200.
type receiver struct {
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	got     []request
	n       map[string]int
	respond func(path string, n int) int
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{t: t, n: make(map[string]int)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.n[req.URL.Path]++
	n, respond := r.n[req.URL.Path], r.respond
	r.mu.Unlock()
	status := http.StatusOK
	if respond != nil {
		status = respond(req.URL.Path, n)
	}
	r.mu.Lock()
	r.got = append(r.got, request{status: status, path: req.URL.Path, header: req.Header.Clone(), body: body})
	r.mu.Unlock()
	w.WriteHeader(status)
}

func (r *receiver) setRespond(f func(path string, n int) int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.respond = f
}

// url of path on the receiver.
func (r *receiver) url(path string) string { return r.srv.URL + path }

// requests returns the requests so far, optionally to one path.
func (r *receiver) requests(path string) []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []request
	for _, q := range r.got {
		if path == "" || q.path == path {
			out = append(out, q)
		}
	}
	return out
}

// verify checks the signature of q against secret, computed independently
// of webhook.Sign.
func verify(t *testing.T, q request, secret string) {
	t.Helper()
	ts := q.header.Get(event.HeaderTimestamp)
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		t.Fatalf("timestamp %q: %v", ts, err)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(q.body)))
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	if got := q.header.Get(event.HeaderSignature); !hmac.Equal([]byte(got), []byte(want)) {
		t.Fatalf("signature %q, want %q", got, want)
	}
}
