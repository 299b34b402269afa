// Package ownership decides which shards this worker owns. It heartbeats
// the worker into wa_workers, computes its target shards by rendezvous
// hashing over the live workers, and runs a lease keeper for each target;
// the keepers report acquisition and loss to a Handler. The same code runs
// with one worker or fifty.
package ownership

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/lease"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// handOffWait bounds one shard hand-off (stop, disconnect, release).
const handOffWait = time.Minute

// Handler receives shard ownership changes. Every method runs on a lease
// keeper's goroutine: Acquired must return quickly; Lost and Released must
// stop all work of the shard before returning (the lease is released
// afterwards).
type Handler interface {
	Acquired(shard int, epoch uint64)
	// Lost reports a lease taken by another holder or fenced: the shard's
	// work stops at once, nothing is written under the lease any more.
	Lost(shard int)
	// Released reports a lease this worker gives up (drain, hand-off) while
	// it still holds it: until ctx ends it may write under the lease, e.g.
	// that its sessions are now connecting.
	Released(ctx context.Context, shard int)
}

// Config configures Ownership.
type Config struct {
	// ID is this worker's id.
	ID string
	// Shards is the shard count N.
	Shards int
	// Leases is the wa_shard_leases bucket.
	Leases jetstream.KeyValue
	// Workers is the wa_workers bucket.
	Workers jetstream.KeyValue
	// TTL is the lease and heartbeat TTL of both buckets.
	TTL time.Duration
	// Rebalance is how often the targets are recomputed besides on
	// membership changes seen by the watch.
	Rebalance time.Duration
}

func (c *Config) defaults() {
	if c.TTL <= 0 {
		c.TTL = bus.LeaseTTL
	}
	if c.Rebalance <= 0 {
		c.Rebalance = c.TTL / 2
	}
}

// Validate reports missing fields.
func (c Config) Validate() error {
	if c.ID == "" || c.Leases == nil || c.Workers == nil {
		return errors.New("ownership: ID, Leases and Workers are required")
	}
	if c.Shards <= 0 {
		return errors.New("ownership: Shards must be positive")
	}
	return nil
}

// Ownership keeps the leases of this worker's target shards.
type Ownership struct {
	cfg     Config
	handler Handler
	log     *zap.Logger
	reg     *lease.Registry

	mu      sync.Mutex
	keepers map[int]*lease.Keeper

	// started and stopping are read by readiness probes.
	started, stopping atomic.Bool

	cancel context.CancelFunc
	done   chan struct{}
	// keepCtx bounds the keepers; it outlives the rebalance loop so that
	// Stop can hand the shards off one at a time.
	keepCtx    context.Context
	keepCancel context.CancelFunc
}

// New returns an Ownership reporting to h.
func New(cfg Config, h Handler, log *zap.Logger) (*Ownership, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("ownership: handler is required")
	}
	log = log.Named("ownership")
	return &Ownership{
		cfg:     cfg,
		handler: h,
		log:     log,
		reg:     lease.NewRegistry(cfg.Workers, cfg.ID, cfg.TTL, log),
		keepers: make(map[int]*lease.Keeper),
	}, nil
}

// Start registers the worker, starts keepers for its first targets and keeps
// rebalancing until Stop.
func (o *Ownership) Start(ctx context.Context) error {
	if err := o.reg.Start(ctx); err != nil {
		return fmt.Errorf("ownership: %w", err)
	}
	// Detached on purpose: Stop ends the keepers one by one, after the
	// rebalance loop (which ctx bounds) has ended.
	o.keepCtx, o.keepCancel = context.WithCancel(context.WithoutCancel(ctx))
	ctx, o.cancel = context.WithCancel(ctx)
	o.done = make(chan struct{})
	o.rebalance(ctx)
	go o.run(ctx)
	o.started.Store(true)
	return nil
}

// Stop drains the worker: it stops rebalancing, marks itself draining in
// the registry, so that the other workers target its shards and start
// their keepers, then hands all its shards off at once (each keeper's
// release stops the shard's consumer, disconnects its clients and records
// them as connecting, then the lease is released and the next owner, poked
// by the release, takes it),
// and finally leaves the registry. With no other worker the shards are
// simply released.
func (o *Ownership) Stop(ctx context.Context) error {
	if o.cancel == nil {
		return nil
	}
	o.stopping.Store(true)
	o.cancel()
	select {
	case <-o.done:
	case <-ctx.Done():
		return fmt.Errorf("ownership: stop: %w", ctx.Err())
	}
	defer o.keepCancel()
	if err := o.reg.SetDraining(ctx); err != nil {
		o.log.Warn("draining not announced; shards move when the heartbeat expires", zap.Error(err))
	}
	o.mu.Lock()
	keepers := o.keepers
	o.keepers = make(map[int]*lease.Keeper)
	o.mu.Unlock()
	// Every shard at once: each keeper's release stops its shard (consumer,
	// clients, state writes) under its own lease, so a stop under load takes
	// as long as the slowest shard, not the sum of them.
	var (
		wg   sync.WaitGroup
		emu  sync.Mutex
		errs []error
	)
	for _, k := range keepers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := k.Stop(ctx); err != nil {
				emu.Lock()
				errs = append(errs, err)
				emu.Unlock()
			}
		}()
	}
	wg.Wait()
	errs = append(errs, o.reg.Stop(ctx))
	o.log.Info("drained", zap.Int("shards", len(keepers)))
	return errors.Join(errs...)
}

// Ready reports whether this worker takes part in shard ownership: it is
// started and not draining, and its heartbeat in wa_workers is fresh (a
// stale one means the other workers are taking its shards). Shards it
// targets are then held, or being waited for while their previous owner
// hands them over.
func (o *Ownership) Ready() error {
	if !o.started.Load() {
		return errors.New("ownership not started")
	}
	if o.stopping.Load() {
		return errors.New("draining")
	}
	if age := time.Since(o.reg.LastBeat()); age > o.cfg.TTL {
		return fmt.Errorf("no heartbeat written for %s", age.Round(time.Second))
	}
	return nil
}

// Held returns the shards whose lease this worker holds, with their epochs.
func (o *Ownership) Held() map[int]uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[int]uint64, len(o.keepers))
	for p, k := range o.keepers {
		if epoch, ok := k.Held(); ok {
			out[p] = epoch
		}
	}
	return out
}

func (o *Ownership) run(ctx context.Context) {
	defer close(o.done)
	leases := o.watchLeases(ctx)
	changes := o.watchMembers(ctx)
	t := time.NewTicker(o.cfg.Rebalance)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			for range changes { // wait for the watch goroutine
			}
			<-leases
			return
		case <-t.C:
		case _, ok := <-changes:
			if !ok {
				continue // closed as ctx ended
			}
		}
		o.rebalance(ctx)
	}
}

// rebalance starts keepers for new targets and stops the ones for shards
// that moved to another worker (hand-off: stop, disconnect, release).
func (o *Ownership) rebalance(ctx context.Context) {
	lctx, cancel := context.WithTimeout(ctx, o.cfg.TTL/2)
	live, err := o.reg.Live(lctx)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			o.log.Warn("live workers unknown, keeping shards", zap.Error(err))
		}
		return
	}
	want := Targets(o.cfg.ID, live, o.cfg.Shards)
	o.mu.Lock()
	var drop []*lease.Keeper
	for p, k := range o.keepers {
		if !want[p] {
			drop = append(drop, k)
			delete(o.keepers, p)
		}
	}
	var add []int
	for p := range want {
		if _, ok := o.keepers[p]; !ok {
			add = append(add, p)
		}
	}
	o.mu.Unlock()
	for _, k := range drop {
		// Detached on purpose: a hand-off under way must finish (disconnect,
		// then release) even if the worker is stopping meanwhile.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handOffWait)
		err := k.Stop(sctx)
		cancel()
		if err != nil {
			o.log.Warn("shard hand-off incomplete", zap.Error(err))
		}
	}
	for _, p := range add {
		o.startKeeper(p)
	}
	if len(drop) > 0 || len(add) > 0 {
		o.log.Info("shard targets changed", zap.Int("workers", len(live)), zap.Int("targets", len(want)),
			zap.Int("added", len(add)), zap.Int("handed_off", len(drop)))
	}
}

func (o *Ownership) startKeeper(p int) {
	k, err := lease.NewKeeper(lease.KeeperConfig{
		KV:         o.cfg.Leases,
		Key:        subject.LeaseKey(p),
		Holder:     o.cfg.ID,
		TTL:        o.cfg.TTL,
		OnAcquired: func(epoch uint64) { o.handler.Acquired(p, epoch) },
		OnLost:     func() { o.handler.Lost(p) },
		OnRelease:  func(ctx context.Context) { o.handler.Released(ctx, p) },
	}, o.log)
	if err != nil {
		o.log.Error("lease keeper not started", zap.Int("shard", p), zap.Error(err))
		return
	}
	// Listed before it starts, so that a release seen by the lease watch
	// while its first attempt fails still pokes it.
	o.mu.Lock()
	o.keepers[p] = k
	o.mu.Unlock()
	k.Start(o.keepCtx)
}

// Targets returns the shards whose rendezvous owner among live is id. The
// worker counts itself live even before its first heartbeat is visible.
func Targets(id string, live []string, shards int) map[int]bool {
	found := false
	for _, w := range live {
		if w == id {
			found = true
			break
		}
	}
	if !found {
		live = append(live[:len(live):len(live)], id)
	}
	out := make(map[int]bool)
	for p := range shards {
		if lease.Rendezvous(subject.LeaseKey(p), live) == id {
			out[p] = true
		}
	}
	return out
}
