// Package worker composes a Switchboard worker: it owns shards through
// leases, holds the whatsmeow clients of their sessions, applies their
// commands in order and reports state, pairing material and events.
package worker

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/store"
	waLog "go.mau.fi/whatsmeow/util/log"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/message"
	"github.com/switchboard-gw/switchboard/shared/msglog"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/messagelog"
	"github.com/switchboard-gw/switchboard/worker/ownership"
	"github.com/switchboard-gw/switchboard/worker/pacer"
	"github.com/switchboard-gw/switchboard/worker/report"
	"github.com/switchboard-gw/switchboard/worker/sessions"
	"github.com/switchboard-gw/switchboard/worker/shards"
)

// shardStopWait bounds how long losing a shard may take to disconnect it.
const shardStopWait = 30 * time.Second

// Worker owns shards and their sessions.
type Worker struct {
	cfg Config
	nc  *nats.Conn
	js  jetstream.JetStream
	b   *bus.Buckets
	ds  *devstore.Store
	log *zap.Logger

	pacer   *pacer.Pacer
	scanner *shards.Scanner
	// loadChunk is shards.Config.LoadChunk (0: the default); tests set it.
	loadChunk int
	deps      *sessions.Deps
	own       *ownership.Ownership
	logs      *messagelog.Responder

	mu     sync.Mutex
	shards map[int]*shards.Shard
	runCtx context.Context
	cancel context.CancelFunc
	// live is closed when the liveness loop has exited.
	live chan struct{}
	// storms is closed when the login storm watch has ended; stopStorms
	// ends it (first thing in Stop).
	storms     chan struct{}
	stopStorms context.CancelFunc
	// swept is closed when the orphan device sweep has ended.
	swept chan struct{}
}

// shardRef is an owned shard with its number.
type shardRef struct {
	p  int
	sh *shards.Shard
}

var _ ownership.Handler = (*Worker)(nil)

// New checks the configuration and wires the worker; Start runs it.
func New(cfg Config, nc *nats.Conn, js jetstream.JetStream, b *bus.Buckets, ds *devstore.Store, log *zap.Logger) (*Worker, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if nc == nil || js == nil || b == nil || ds == nil || log == nil {
		return nil, errors.New("worker: nats, jetstream, buckets, device store and logger are required")
	}
	log = log.Named("worker").With(zap.String("worker", cfg.ID))
	rep, err := report.New(report.Config{Sessions: b.Sessions, Pairing: b.Pairing, JS: js}, log)
	if err != nil {
		return nil, err
	}
	mlog, err := msglog.New(ds.DB())
	if err != nil {
		return nil, err
	}
	logs, err := messagelog.New(nc, mlog, log)
	if err != nil {
		return nil, err
	}
	w := &Worker{
		cfg: cfg, nc: nc, js: js, b: b, ds: ds, log: log,
		scanner: shards.NewScanner(b.Sessions, cfg.Shards),
		shards:  make(map[int]*shards.Shard),
		logs:    logs,
	}
	met, wait, err := w.registerMetrics(cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("worker: metrics: %w", err)
	}
	w.pacer, err = pacer.New(pacer.Config{Rate: cfg.ReconnectRate, Burst: cfg.ReconnectBurst, Wait: wait})
	if err != nil {
		return nil, err
	}
	w.deps = &sessions.Deps{Reporter: rep, Devices: ds, Log: log.Named("session"), Pacer: w.pacer, Metrics: met,
		Connecting: make(chan struct{}, sessions.ConnectsPerCPU*runtime.GOMAXPROCS(0)), Connects: new(atomic.Int64),
		Loading:  new(atomic.Int64),
		Messages: message.NewStore(js, b.Messages), MsgLog: mlog, SendWait: cfg.SendWait, Codec: session.Codec{Box: cfg.Box}}
	own := cfg.Ownership
	if own == nil {
		own = b
	}
	w.own, err = ownership.New(ownership.Config{
		ID: cfg.ID, Shards: cfg.Shards, Leases: own.Leases, Workers: own.Workers, TTL: bus.LeaseTTL,
	}, w, log)
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Start points whatsmeow at WhatsApp or the simulator, then starts taking
// shards. ctx bounds the start only; the worker runs until Stop.
func (w *Worker) Start(ctx context.Context) error {
	setGlobals()
	factory, err := clientFactory(ctx, w.cfg.Simulator)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	lids, err := newLIDMaps(w.ds)
	if err != nil {
		return err
	}
	w.deps.NewClient = func(dev *store.Device, log waLog.Logger, proxy string) (*whatsmeow.Client, error) {
		lids.attach(dev)
		return factory(dev, log, proxy)
	}
	if err := w.deps.Validate(); err != nil {
		return err
	}
	w.mu.Lock()
	// Detached on purpose: callers pass a start deadline, and the worker's
	// goroutines (keepers, shards, clients) live until Stop.
	w.runCtx, w.cancel = context.WithCancel(context.WithoutCancel(ctx))
	w.mu.Unlock()
	w.pacer.Start(w.runCtx)
	if err := w.logs.Start(ctx); err != nil {
		w.cancel()
		_ = w.pacer.Stop(ctx)
		return fmt.Errorf("worker: message log: %w", err)
	}
	if err := w.own.Start(w.runCtx); err != nil {
		w.cancel()
		_ = w.pacer.Stop(ctx)
		_ = w.logs.Stop(ctx)
		return err
	}
	w.live = make(chan struct{})
	go func() {
		defer close(w.live)
		w.keepLive(w.runCtx, w.cfg.LivenessPeriod)
	}()
	w.swept = make(chan struct{})
	go func() {
		defer close(w.swept)
		w.sweepOrphans(w.runCtx)
	}()
	w.storms = make(chan struct{})
	stormCtx, stopStorms := context.WithCancel(w.runCtx)
	w.stopStorms = stopStorms
	go func() {
		defer close(w.storms)
		w.watchStorms(stormCtx)
	}()
	w.log.Info("worker started", zap.Int("shards", w.cfg.Shards), zap.Bool("simulator", w.cfg.Simulator != ""))
	return nil
}

// Stop hands every shard back: consumers stop, every client disconnects
// (never logging out), leases are released and the worker leaves the
// registry.
func (w *Worker) Stop(ctx context.Context) error {
	start := time.Now()
	if w.stopStorms != nil {
		// Before the shards close: their sessions leaving would end a
		// login storm and return its garbage (a full collection) while
		// the stop waits.
		w.stopStorms()
		<-w.storms
	}
	err := w.own.Stop(ctx)
	drained := time.Since(start)
	if w.cancel != nil {
		w.cancel()
	}
	if w.live != nil {
		<-w.live
	}
	if w.swept != nil {
		<-w.swept
	}
	err = errors.Join(err, w.pacer.Stop(ctx), w.logs.Stop(ctx))
	w.log.Info("worker stopped", zap.Duration("drained", drained), zap.Duration("total", time.Since(start)))
	return err
}

// Acquired starts an owned shard; it runs on the lease keeper's goroutine
// and returns at once.
func (w *Worker) Acquired(p int, epoch uint64) {
	sh, err := shards.New(shards.Config{
		Index: p, Count: w.cfg.Shards, Fence: report.Fence{Owner: w.cfg.ID, Epoch: epoch},
		JS: w.js, Scanner: w.scanner, Deps: w.deps, LoadChunk: w.loadChunk,
	}, w.log)
	if err != nil {
		w.log.Error("shard not started", zap.Int("shard", p), zap.Error(err))
		return
	}
	w.mu.Lock()
	old := w.shards[p]
	w.shards[p] = sh
	ctx := w.runCtx
	w.mu.Unlock()
	if old != nil {
		w.stopShard(p, old)
	}
	sh.Start(ctx)
}

// Lost stops a shard and disconnects its clients before returning, as the
// lease keeper requires.
func (w *Worker) Lost(p int) {
	w.mu.Lock()
	sh := w.shards[p]
	delete(w.shards, p)
	w.mu.Unlock()
	if sh != nil {
		w.stopShard(p, sh)
	}
}

// Released stops a shard this worker gives up while it still holds the
// lease, recording its sessions as connecting until ctx (the fence time)
// ends.
func (w *Worker) Released(ctx context.Context, p int) {
	w.mu.Lock()
	sh := w.shards[p]
	delete(w.shards, p)
	w.mu.Unlock()
	if sh == nil {
		return
	}
	if err := sh.Release(ctx); err != nil {
		w.log.Warn("shard release incomplete", zap.Int("shard", p), zap.Error(err))
		w.stopShard(p, sh) // nothing may run once the lease is released
	}
}

func (w *Worker) stopShard(p int, sh *shards.Shard) {
	// Detached on purpose: the run context may be cancelled already, and the
	// shard must be fully stopped before its lease is released.
	ctx, cancel := context.WithTimeout(context.Background(), shardStopWait)
	defer cancel()
	if err := sh.Stop(ctx); err != nil {
		w.log.Error("shard stop incomplete", zap.Int("shard", p), zap.Error(err))
	}
}

// Owned returns the shards this worker runs.
func (w *Worker) Owned() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]int, 0, len(w.shards))
	for p := range w.shards {
		out = append(out, p)
	}
	return out
}

// owned returns the running shards.
func (w *Worker) owned() []shardRef {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]shardRef, 0, len(w.shards))
	for p, sh := range w.shards {
		out = append(out, shardRef{p, sh})
	}
	return out
}
