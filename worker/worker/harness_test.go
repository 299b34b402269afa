package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.mau.fi/whatsmeow"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
	"github.com/switchboard-gw/switchboard/shared/wasim"
	"github.com/switchboard-gw/switchboard/shared/wasim/wasimtest"
	"github.com/switchboard-gw/switchboard/worker/worker"
)

const (
	// waitTimeout bounds every wait for a state, pairing entry or event.
	waitTimeout = 30 * time.Second
	testShards  = 4
	tenant      = "acme"
)

// sim is the one simulator of this test process: whatsmeow's root key is
// process-global, so every worker here talks to it.
var sim *wasim.Server

func TestMain(m *testing.M) {
	// Keepalives every 3-4 s with a 3 s deadline, and a reconnect after
	// 10 s of failures, so the liveness tests see them within seconds.
	// Written before any client exists.
	whatsmeow.KeepAliveIntervalMin, whatsmeow.KeepAliveIntervalMax = 3*time.Second, 4*time.Second
	whatsmeow.KeepAliveResponseDeadline, whatsmeow.KeepAliveMaxFailTime = 3*time.Second, 10*time.Second
	os.Exit(wasimtest.Main(m, &sim))
}

var phoneSeq atomic.Int64

// newPhone returns a phone number no other test uses.
func newPhone() string {
	return fmt.Sprintf("1555%07d", 2000000+phoneSeq.Add(1))
}

// env is one NATS server, one database and the workers running on them.
type env struct {
	t     testing.TB
	ctx   context.Context
	nc    *nats.Conn
	js    jetstream.JetStream
	b     *bus.Buckets
	dbURL string
	log   *zap.Logger
}

func newEnv(t testing.TB, dbURL string) *env {
	t.Helper()
	_, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	b, err := bus.Ensure(ctx, js, bus.Config{Shards: testShards})
	if err != nil {
		t.Fatal(err)
	}
	log := zaptest.NewLogger(t, zaptest.Level(zapcore.WarnLevel))
	return &env{t: t, ctx: ctx, nc: nc, js: js, b: b, dbURL: dbURL, log: log}
}

// startWorker opens the database and starts a worker; both stop with the test
// unless stopped before.
func (e *env) startWorker(id string) *running {
	e.t.Helper()
	return e.startWorkerWith(id, nil)
}

// startWorkerWith is startWorker with a hook run before Start.
func (e *env) startWorkerWith(id string, tune func(*worker.Worker)) *running {
	e.t.Helper()
	return e.startWorkerConfig(id, nil, tune)
}

// startWorkerConfig is startWorker with a configuration change and a hook
// run before Start (either may be nil).
func (e *env) startWorkerConfig(id string, mod func(*worker.Config), tune func(*worker.Worker)) *running {
	e.t.Helper()
	ds, err := devstore.Open(e.ctx, e.dbURL, e.log)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := worker.Config{ID: id, Shards: testShards, Simulator: sim.ControlAddr()}
	if mod != nil {
		mod(&cfg)
	}
	w, err := worker.New(cfg, e.nc, e.js, e.b, ds, e.log)
	if err != nil {
		e.t.Fatal(err)
	}
	if tune != nil {
		tune(w)
	}
	if err := w.Start(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	r := &running{w: w, ds: ds}
	e.t.Cleanup(func() { r.stop(e.t) })
	return r
}

// running is a started worker with its database.
type running struct {
	w       *worker.Worker
	ds      *devstore.Store
	stopped bool
}

func (r *running) stop(t testing.TB) {
	if r.stopped {
		return
	}
	r.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.w.Stop(ctx); err != nil {
		t.Errorf("stop worker: %v", err)
	}
	if err := r.ds.Close(); err != nil {
		t.Errorf("close store: %v", err)
	}
}

// create writes a new session record as the api does.
func (e *env) create(id string) {
	e.t.Helper()
	now := time.Now().UTC()
	rec := session.Record{Tenant: tenant, ID: id, Desired: session.DesiredRunning,
		State: session.State{Status: session.StatusStarting}, CreatedAt: now, UpdatedAt: now}
	b, _ := json.Marshal(rec)
	if _, err := e.b.Sessions.Create(e.ctx, subject.SessionKey(tenant, id), b); err != nil {
		e.t.Fatal(err)
	}
}

var cmdSeq atomic.Int64

// send publishes a command as the api does and returns its id.
func (e *env) send(id string, verb command.Verb, mutate ...func(*command.Command)) string {
	e.t.Helper()
	cmd := command.Command{
		ID: fmt.Sprintf("cmd-%d", cmdSeq.Add(1)), Tenant: tenant, Session: id, Verb: verb,
		IssuedAt: time.Now().UTC(), Reason: "test",
	}
	for _, m := range mutate {
		m(&cmd)
	}
	body, err := cmd.Encode()
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.js.Publish(e.ctx, subject.Command(tenant, id, string(verb)), body, jetstream.WithMsgID(cmd.ID)); err != nil {
		e.t.Fatal(err)
	}
	return cmd.ID
}

// watchUntil watches key in kv until ok accepts an entry (nil = deleted).
func (e *env) watchUntil(kv jetstream.KeyValue, key, what string, ok func(jetstream.KeyValueEntry) bool) jetstream.KeyValueEntry {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, waitTimeout)
	defer cancel()
	w, err := kv.Watch(ctx, key)
	if err != nil {
		e.t.Fatal(err)
	}
	defer func() { _ = w.Stop() }()
	var last jetstream.KeyValueEntry
	present := false // whether the key currently has a value
	for {
		select {
		case <-ctx.Done():
			e.t.Fatalf("timed out waiting for %s of %s; last: %s", what, key, describe(last))
		case en, open := <-w.Updates():
			if !open {
				e.t.Fatalf("watch of %s closed", key)
			}
			if en == nil { // end of initial values: an absent key is "deleted"
				if !present && ok(nil) {
					return nil
				}
				continue
			}
			last = en
			present = en.Operation() == jetstream.KeyValuePut
			if !present {
				if ok(nil) {
					return nil
				}
				continue
			}
			if ok(en) {
				return en
			}
		}
	}
}

func describe(en jetstream.KeyValueEntry) string {
	if en == nil {
		return "none"
	}
	return fmt.Sprintf("%s rev %d %s", en.Operation(), en.Revision(), en.Value())
}

// waitState waits until the session record satisfies ok and returns it.
func (e *env) waitState(id, what string, ok func(session.Record) bool) session.Record {
	e.t.Helper()
	var rec session.Record
	e.watchUntil(e.b.Sessions, subject.SessionKey(tenant, id), what, func(en jetstream.KeyValueEntry) bool {
		if en == nil {
			return false
		}
		var r session.Record
		if json.Unmarshal(en.Value(), &r) != nil {
			return false
		}
		rec = r
		return ok(r)
	})
	return rec
}

// waitStatus waits for status st after command cmd was applied ("" = any).
func (e *env) waitStatus(id string, st session.Status, cmd string) session.Record {
	e.t.Helper()
	return e.waitState(id, string(st), func(r session.Record) bool {
		return r.State.Status == st && (cmd == "" || r.State.Command == cmd)
	})
}

// waitPairing waits until the pairing entry satisfies ok.
func (e *env) waitPairing(id, what string, ok func(session.Pairing) bool) session.Pairing {
	e.t.Helper()
	var p session.Pairing
	e.watchUntil(e.b.Pairing, subject.SessionKey(tenant, id), what, func(en jetstream.KeyValueEntry) bool {
		if en == nil {
			return false
		}
		var x session.Pairing
		if json.Unmarshal(en.Value(), &x) != nil {
			return false
		}
		p = x
		return ok(x)
	})
	return p
}

// waitGone waits until key is absent from kv.
func (e *env) waitGone(kv jetstream.KeyValue, id string) {
	e.t.Helper()
	e.watchUntil(kv, subject.SessionKey(tenant, id), "deletion", func(en jetstream.KeyValueEntry) bool { return en == nil })
}

// link creates a session, starts it, scans its QR on the simulator and
// waits for WORKING. It returns the record and the phone.
func (e *env) link(id string) (session.Record, string) {
	e.t.Helper()
	phone := newPhone()
	e.create(id)
	e.send(id, command.Start)
	p := e.waitPairing(id, "qr codes", func(p session.Pairing) bool { return len(p.QRCodes) > 0 })
	ctx, cancel := context.WithTimeout(e.ctx, waitTimeout)
	defer cancel()
	if _, err := sim.ScanQR(ctx, p.QRCodes[0], phone, "Alice "+id); err != nil {
		e.t.Fatalf("scan: %v", err)
	}
	rec := e.waitStatus(id, session.StatusWorking, "")
	return rec, phone
}

// tap collects the events of one session from WA_EVT.
type tap struct {
	t  testing.TB
	ch chan event.Envelope
}

func (e *env) tap(id string) *tap {
	e.t.Helper()
	tp := &tap{t: e.t, ch: make(chan event.Envelope, 256)}
	sub, err := e.nc.Subscribe(subject.Event(tenant, id, "*"), func(m *nats.Msg) {
		var env event.Envelope
		if json.Unmarshal(m.Data, &env) == nil {
			tp.ch <- env
		}
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = sub.Unsubscribe() })
	return tp
}

// next waits for an event of type typ satisfying ok, skipping others.
func (tp *tap) next(typ event.Type, ok func(event.Envelope) bool) event.Envelope {
	tp.t.Helper()
	timeout := time.After(waitTimeout)
	for {
		select {
		case env := <-tp.ch:
			if env.Type == typ && (ok == nil || ok(env)) {
				return env
			}
		case <-timeout:
			tp.t.Fatalf("timed out waiting for event %s", typ)
		}
	}
}

// statusIs matches a session_status event to st.
func statusIs(st session.Status) func(event.Envelope) bool {
	return func(env event.Envelope) bool {
		var d event.Status
		return json.Unmarshal(env.Data, &d) == nil && d.Status == string(st)
	}
}

// pairingAbsent reports whether the session has no pairing entry.
func (e *env) pairingAbsent(id string) bool {
	_, err := e.b.Pairing.Get(e.ctx, subject.SessionKey(tenant, id))
	return errors.Is(err, jetstream.ErrKeyNotFound)
}
