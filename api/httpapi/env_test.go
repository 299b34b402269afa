package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-gw/switchboard/api/httpapi"
	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/natsembed"
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// Keys of the test tenants.
const (
	adminKey = "admin-secret"
	keyA     = "key-acme"
	keyB     = "key-beta"
	tenantA  = "acme"
	tenantB  = "beta"
)

// env is a running api over an embedded NATS server; the test plays the
// worker through js and the buckets.
type env struct {
	t      testing.TB
	ns     *natsembed.Server
	nc     *nats.Conn
	js     jetstream.JetStream
	b      *bus.Buckets
	srv    *httpapi.Server
	base   string
	client *http.Client

	consOnce sync.Once
	cons     jetstream.Consumer
}

func newEnv(t testing.TB, tweak ...func(*httpapi.Config)) *env {
	t.Helper()
	e := startBus(t)
	e.startServer(tweak...)
	return e
}

// startBus starts NATS and declares the topology, without the api.
func startBus(t testing.TB) *env {
	t.Helper()
	ns, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Ensure(ctx, js, bus.Config{Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ns: ns, nc: nc, js: js, b: b}
}

// startServer starts the api on a random port.
func (e *env) startServer(tweak ...func(*httpapi.Config)) {
	t := e.t
	t.Helper()
	cfg := httpapi.Config{
		Addr:       "127.0.0.1:0",
		AdminKey:   adminKey,
		TenantKeys: map[string]string{keyA: tenantA, keyB: tenantB},
		Shards:     4,
	}
	for _, f := range tweak {
		f(&cfg)
	}
	log := zap.NewNop()
	if tt, ok := t.(*testing.T); ok {
		log = zaptest.NewLogger(tt, zaptest.Level(zap.WarnLevel))
	}
	srv, err := httpapi.New(cfg, e.nc, e.js, e.b, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	t.Cleanup(tr.CloseIdleConnections)
	e.srv, e.base = srv, "http://"+srv.Addr()
	e.client = &http.Client{Transport: tr, Timeout: 40 * time.Second}
}

// resp is a decoded answer.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic map.
func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// errCode returns error.code of an error body ("" if none).
func (r resp) errCode() string {
	var b struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.body, &b)
	return b.Error.Code
}

// call sends a request with key as bearer token; body is marshalled unless
// it is a []byte or string.
func (e *env) call(method, path, key string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	var sent []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		sent = b
	case string:
		sent = []byte(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		sent = raw
	}
	if body != nil {
		rd = bytes.NewReader(sent)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	// Every answer the suite receives is checked against the OpenAPI document.
	conform(e.t, req, sent, res, raw)
	return resp{status: res.StatusCode, header: res.Header, body: raw}
}

// mustStatus fails unless r has status want.
func mustStatus(t testing.TB, r resp, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body %s", r.status, want, r.body)
	}
}

// create creates a session for key and returns its id.
func (e *env) create(key string, body map[string]any) string {
	e.t.Helper()
	var send any // a nil map is no body, not "null"
	if body != nil {
		send = body
	}
	r := e.call("POST", "/api/v1/sessions", key, send)
	mustStatus(e.t, r, http.StatusCreated)
	return r.json(e.t)["session"].(map[string]any)["id"].(string)
}

// commandCount is the number of commands waiting in WA_CMD.
func (e *env) commandCount() uint64 {
	e.t.Helper()
	st, err := e.js.Stream(context.Background(), subject.CommandStream)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return info.State.Msgs
}

// consumer is the test worker's pull consumer on every command.
func (e *env) consumer() jetstream.Consumer {
	e.consOnce.Do(func() {
		c, err := e.js.CreateOrUpdateConsumer(context.Background(), subject.CommandStream, jetstream.ConsumerConfig{
			Durable: "test-worker", AckPolicy: jetstream.AckExplicitPolicy,
		})
		if err != nil {
			e.t.Fatal(err)
		}
		e.cons = c
	})
	return e.cons
}

// nextCommand takes (and acks) the next command, failing after a timeout.
func (e *env) nextCommand() command.Command {
	e.t.Helper()
	cmd, ok := e.tryCommand(5 * time.Second)
	if !ok {
		e.t.Fatal("no command arrived")
	}
	return cmd
}

// tryCommand takes the next command if one arrives within wait.
func (e *env) tryCommand(wait time.Duration) (command.Command, bool) {
	msgs, err := e.consumer().Fetch(1, jetstream.FetchMaxWait(wait))
	if err != nil {
		return command.Command{}, false
	}
	for m := range msgs.Messages() {
		// DoubleAck waits for the server, so the work-queue stream has
		// dropped the command before the test counts what is left.
		if err := m.DoubleAck(context.Background()); err != nil {
			e.t.Errorf("ack command: %v", err)
		}
		cmd, err := command.Decode(m.Data())
		if err != nil {
			e.t.Errorf("decode command: %v", err)
		}
		return cmd, true
	}
	return command.Command{}, false
}

// record reads a session record straight from KV.
func (e *env) record(tenant, id string) (session.Record, bool) {
	e.t.Helper()
	entry, err := e.b.Sessions.Get(context.Background(), subject.SessionKey(tenant, id))
	if err != nil {
		return session.Record{}, false
	}
	var rec session.Record
	if err := json.Unmarshal(entry.Value(), &rec); err != nil {
		e.t.Fatal(err)
	}
	return rec, true
}

// setState plays the worker: rewrite State with compare-and-set.
func (e *env) setState(tenant, id string, f func(*session.State)) {
	e.t.Helper()
	if err := writeState(context.Background(), e.b.Sessions, tenant, id, f); err != nil {
		e.t.Fatal(err)
	}
}

// writeState is the worker side of the record contract: only State changes.
func writeState(ctx context.Context, kv jetstream.KeyValue, tenant, id string, f func(*session.State)) error {
	key := subject.SessionKey(tenant, id)
	for {
		entry, err := kv.Get(ctx, key)
		if err != nil {
			return err
		}
		var rec session.Record
		if err := json.Unmarshal(entry.Value(), &rec); err != nil {
			return err
		}
		f(&rec.State)
		rec.State.UpdatedAt = time.Now().UTC()
		body, _ := json.Marshal(rec)
		if _, err := kv.Update(ctx, key, body, entry.Revision()); err == nil {
			return nil
		} else if !isConflict(err) {
			return err
		}
	}
}

func isConflict(err error) bool {
	return err != nil && (errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists))
}

// putPairing plays the worker writing linking material.
func (e *env) putPairing(tenant, id string, p session.Pairing) {
	e.t.Helper()
	p.UpdatedAt = time.Now().UTC()
	body, _ := json.Marshal(p)
	if _, err := e.b.Pairing.Put(context.Background(), subject.SessionKey(tenant, id), body); err != nil {
		e.t.Fatal(err)
	}
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
