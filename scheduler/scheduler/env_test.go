package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-gw/switchboard/scheduler/health"
	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/lease"
	"github.com/switchboard-gw/switchboard/shared/natsembed"
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

const (
	testShards = 4
	testTenant = "acme"
	// liveWorker is the worker id the test registers as alive.
	liveWorker = "w1"
)

// env is a real embedded NATS with Switchboard's topology. The test plays
// the worker: it writes session records and reads WA_CMD.
type env struct {
	tb  testing.TB
	srv *natsembed.Server
	nc  *nats.Conn
	js  jetstream.JetStream
	b   *bus.Buckets
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	srv, nc := natstest.Start(tb)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := bus.Ensure(context.Background(), js, bus.Config{Shards: testShards})
	if err != nil {
		tb.Fatal(err)
	}
	return &env{tb: tb, srv: srv, nc: nc, js: js, b: b}
}

// liveWorker registers a live worker in wa_workers for the rest of the test.
func (e *env) registerWorker(id string) {
	e.tb.Helper()
	r := lease.NewRegistry(e.b.Workers, id, bus.LeaseTTL, zap.NewNop())
	if err := r.Start(context.Background()); err != nil {
		e.tb.Fatal(err)
	}
	e.tb.Cleanup(func() { _ = r.Stop(context.Background()) })
}

// holdShards writes shard leases as a worker would.
func (e *env) holdShards(shards ...int) {
	e.tb.Helper()
	for _, p := range shards {
		if _, err := e.b.Leases.Put(context.Background(), subject.LeaseKey(p), []byte(liveWorker)); err != nil {
			e.tb.Fatal(err)
		}
	}
}

func (e *env) put(rec session.Record) {
	e.tb.Helper()
	body, err := json.Marshal(rec)
	if err != nil {
		e.tb.Fatal(err)
	}
	if _, err := e.b.Sessions.Put(context.Background(), subject.SessionKey(rec.Tenant, rec.ID), body); err != nil {
		e.tb.Fatal(err)
	}
}

func (e *env) scheduler(cfg Config) *Scheduler {
	e.tb.Helper()
	return newScheduler(e.tb, cfg, e.js, e.b)
}

func newScheduler(tb testing.TB, cfg Config, js jetstream.JetStream, b *bus.Buckets) *Scheduler {
	tb.Helper()
	if cfg.Shards == 0 {
		cfg.Shards = testShards
	}
	var log *zap.Logger
	if t, ok := tb.(*testing.T); ok {
		log = zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel))
	} else {
		log = zap.NewNop()
	}
	s, err := New(cfg, js, b, log)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// tickAt runs the sweep a tick at now would run, with now as the clock.
func tickAt(tb testing.TB, s *Scheduler, now time.Time) SweepResult {
	tb.Helper()
	s.now = func() time.Time { return now }
	res, err := s.sweep(context.Background(), s.boundary(now))
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// messages returns the bodies and subjects of every message in stream.
func (e *env) messages(stream string) ([]*jetstream.RawStreamMsg, error) {
	ctx := context.Background()
	st, err := e.js.Stream(ctx, stream)
	if err != nil {
		return nil, err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, err
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// commands returns every command in WA_CMD.
func (e *env) commands() []command.Command {
	e.tb.Helper()
	msgs, err := e.messages(subject.CommandStream)
	if err != nil {
		e.tb.Fatal(err)
	}
	out := make([]command.Command, 0, len(msgs))
	for _, m := range msgs {
		c, err := command.Decode(m.Data)
		if err != nil {
			e.tb.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// events returns every event of type typ in WA_EVT, with its subject.
func (e *env) events(typ event.Type) map[string]event.Envelope {
	e.tb.Helper()
	msgs, err := e.messages(subject.EventStream)
	if err != nil {
		e.tb.Fatal(err)
	}
	out := map[string]event.Envelope{}
	for _, m := range msgs {
		if !strings.HasSuffix(m.Subject, "."+string(typ)) {
			continue
		}
		var env event.Envelope
		if err := json.Unmarshal(m.Data, &env); err != nil {
			e.tb.Fatal(err)
		}
		if _, dup := out[m.Subject]; dup {
			e.tb.Fatalf("two %s events on %s", typ, m.Subject)
		}
		out[m.Subject] = env
	}
	return out
}

// book reads the restart book of a session.
func (e *env) book(s *Scheduler, sess string) (health.Book, bool) {
	e.tb.Helper()
	kv, err := s.stateKV(context.Background())
	if err != nil {
		e.tb.Fatal(err)
	}
	en, err := kv.Get(context.Background(), bookPrefix+subject.SessionKey(testTenant, sess))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return health.Book{}, false
	}
	if err != nil {
		e.tb.Fatal(err)
	}
	var b health.Book
	if err := json.Unmarshal(en.Value(), &b); err != nil {
		e.tb.Fatal(err)
	}
	return b, true
}

// record builds a linked session the tenant wants running, as of now.
func record(id string, status session.Status, now time.Time, mod func(*session.State)) session.Record {
	r := session.Record{
		Tenant: testTenant, ID: id, Desired: session.DesiredRunning, CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour),
		State: session.State{Status: status, Owner: liveWorker, Epoch: 1, UpdatedAt: now.Add(-5 * time.Second),
			DeviceJID: "15550001111:1@s.whatsapp.net", LastConnectedAt: at(now.Add(-time.Hour))},
	}
	if mod != nil {
		mod(&r.State)
	}
	return r
}

func at(t time.Time) *time.Time { return &t }

// recorder collects sweep results from a scheduler's hook.
type recorder struct {
	mu  sync.Mutex
	res []SweepResult
}

func (r *recorder) add(res SweepResult) {
	r.mu.Lock()
	r.res = append(r.res, res)
	r.mu.Unlock()
}

// handled returns the results of the sweeps that did their work.
func (r *recorder) handled() []SweepResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []SweepResult
	for _, res := range r.res {
		if !res.Skipped {
			out = append(out, res)
		}
	}
	return out
}
