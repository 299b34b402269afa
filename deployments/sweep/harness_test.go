package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-gw/switchboard/scheduler/scheduler"
	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
	"github.com/switchboard-gw/switchboard/shared/wasim"
	"github.com/switchboard-gw/switchboard/shared/wasim/wasimtest"
	"github.com/switchboard-gw/switchboard/worker/worker"
)

const (
	waitTimeout = 60 * time.Second
	testShards  = 4
	tenant      = "acme"
)

// sim is the one simulator of this test process: whatsmeow's root key is
// process-global.
var sim *wasim.Server

func TestMain(m *testing.M) { os.Exit(wasimtest.Main(m, &sim)) }

var phoneSeq atomic.Int64

// env is one NATS server, one SQLite device store and one worker.
type env struct {
	t   *testing.T
	ctx context.Context
	nc  *nats.Conn
	js  jetstream.JetStream
	b   *bus.Buckets
	log *zap.Logger
}

func newEnv(t *testing.T) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: real worker, whatsmeow and simulator")
	}
	_, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	b, err := bus.Ensure(ctx, js, bus.Config{Shards: testShards})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, nc: nc, js: js, b: b, log: zaptest.NewLogger(t, zaptest.Level(zapcore.InfoLevel))}
	t.Cleanup(func() { _ = sim.SetFaults(wasim.Faults{}) })
	e.startWorker()
	return e
}

func (e *env) startWorker() {
	e.t.Helper()
	ds, err := devstore.Open(e.ctx, devstoretest.SQLiteURL(e.t), e.log)
	if err != nil {
		e.t.Fatal(err)
	}
	w, err := worker.New(worker.Config{ID: "w1", Shards: testShards, Simulator: sim.ControlAddr()}, e.nc, e.js, e.b, ds, e.log.WithOptions(zap.IncreaseLevel(zapcore.WarnLevel)))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := w.Start(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = w.Stop(ctx)
		_ = ds.Close()
	})
}

// startScheduler starts the scheduler after the sessions are linked, so
// that it never interferes with a pairing in progress.
func (e *env) startScheduler(cfg scheduler.Config) *scheduler.Scheduler {
	e.t.Helper()
	cfg.ID, cfg.Shards = "sched", testShards
	s, err := scheduler.New(cfg, e.js, e.b, e.log)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := s.Start(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	})
	return s
}

// link creates a session as the api does, starts it, scans its QR on the
// simulator and waits for WORKING.
func (e *env) link(id string) session.Record {
	e.t.Helper()
	now := time.Now().UTC()
	rec := session.Record{Tenant: tenant, ID: id, Desired: session.DesiredRunning,
		State: session.State{Status: session.StatusStarting}, CreatedAt: now, UpdatedAt: now}
	body, _ := json.Marshal(rec)
	if _, err := e.b.Sessions.Create(e.ctx, subject.SessionKey(tenant, id), body); err != nil {
		e.t.Fatal(err)
	}
	cmd := command.Command{ID: "start-" + id, Tenant: tenant, Session: id, Verb: command.Start, IssuedAt: now}
	body, _ = cmd.Encode()
	if _, err := e.js.Publish(e.ctx, subject.Command(tenant, id, string(command.Start)), body, jetstream.WithMsgID(cmd.ID)); err != nil {
		e.t.Fatal(err)
	}
	var qr string
	e.watch(e.b.Pairing, id, "qr codes", func(v []byte) bool {
		var p session.Pairing
		if json.Unmarshal(v, &p) != nil || len(p.QRCodes) == 0 {
			return false
		}
		qr = p.QRCodes[0]
		return true
	})
	phone := fmt.Sprintf("1555%07d", 3000000+phoneSeq.Add(1))
	if _, err := sim.ScanQR(e.ctx, qr, phone, "Alice "+id); err != nil {
		e.t.Fatalf("scan: %v", err)
	}
	return e.waitState(id, "WORKING", func(r session.Record) bool { return r.State.Status == session.StatusWorking })
}

// watch follows key in kv until ok accepts its value.
func (e *env) watch(kv jetstream.KeyValue, id, what string, ok func([]byte) bool) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, waitTimeout)
	defer cancel()
	w, err := kv.Watch(ctx, subject.SessionKey(tenant, id))
	if err != nil {
		e.t.Fatal(err)
	}
	defer func() { _ = w.Stop() }()
	last := "none"
	for {
		select {
		case <-ctx.Done():
			e.t.Fatalf("%s of %s: not within %v; last %s", what, id, waitTimeout, last)
		case en := <-w.Updates():
			if en == nil || en.Operation() != jetstream.KeyValuePut {
				continue
			}
			last = string(en.Value())
			if ok(en.Value()) {
				return
			}
		}
	}
}

// waitState waits until the session record satisfies ok.
func (e *env) waitState(id, what string, ok func(session.Record) bool) session.Record {
	e.t.Helper()
	var rec session.Record
	e.watch(e.b.Sessions, id, what, func(v []byte) bool {
		var r session.Record
		if json.Unmarshal(v, &r) != nil {
			return false
		}
		rec = r
		return ok(r)
	})
	return rec
}

// capture records the messages published on a subject (core NATS sees
// commands before the stream's shard transform, and events as published).
type capture struct {
	mu   sync.Mutex
	msgs []captured
}

type captured struct {
	at   time.Time
	data []byte
}

func (e *env) capture(subj string) *capture {
	e.t.Helper()
	c := &capture{}
	sub, err := e.nc.Subscribe(subj, func(m *nats.Msg) {
		c.mu.Lock()
		c.msgs = append(c.msgs, captured{at: time.Now(), data: m.Data})
		c.mu.Unlock()
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.nc.Flush(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = sub.Unsubscribe() })
	return c
}

func (c *capture) all() []captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]captured(nil), c.msgs...)
}

func (c *capture) commands(t *testing.T) []command.Command {
	t.Helper()
	var out []command.Command
	for _, m := range c.all() {
		cmd, err := command.Decode(m.data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cmd)
	}
	return out
}

func (c *capture) events(t *testing.T) []event.Envelope {
	t.Helper()
	var out []event.Envelope
	for _, m := range c.all() {
		var env event.Envelope
		if err := json.Unmarshal(m.data, &env); err != nil {
			t.Fatal(err)
		}
		out = append(out, env)
	}
	return out
}

// eventually polls cond until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
