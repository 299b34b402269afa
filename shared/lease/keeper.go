// Package lease implements ownership through JetStream KV: leases created
// with CAS and renewed with revision checks, a self-fencing keeper, the live
// worker registry and rendezvous hashing over it.
package lease

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// KeeperConfig configures a Keeper.
type KeeperConfig struct {
	// KV is the bucket holding the lease; its TTL (MaxAge) must equal TTL.
	KV jetstream.KeyValue
	// Key is the lease key (e.g. subject.LeaseKey(p)).
	Key string
	// Holder identifies this process (the worker or scheduler id).
	Holder string
	// TTL is how long a lease lives without renewal.
	TTL time.Duration
	// OnAcquired runs, on the keeper's goroutine, when the lease is won. The
	// epoch increases every time the lease changes hands.
	OnAcquired func(epoch uint64)
	// OnLost runs, on the keeper's goroutine, when the lease is lost, fenced
	// or given up by Stop. It must stop all work done under the lease before
	// returning: the lease is released only afterwards.
	OnLost func()
}

func (c *KeeperConfig) validate() error {
	if c.KV == nil || c.Key == "" || c.Holder == "" {
		return errors.New("lease: KV, Key and Holder are required")
	}
	if c.TTL <= 0 {
		return errors.New("lease: TTL must be positive")
	}
	if c.OnAcquired == nil {
		c.OnAcquired = func(uint64) {}
	}
	if c.OnLost == nil {
		c.OnLost = func() {}
	}
	return nil
}

// Keeper acquires one lease and keeps it renewed. If renewals fail for
// longer than the fence time (TTL minus a margin), it gives the lease up
// locally even when NATS cannot be reached, so that no other holder can have
// acquired it while this one still works under it.
type Keeper struct {
	cfg  KeeperConfig
	log  *zap.Logger
	tick time.Duration
	// fence is how long after the last successful write the keeper stops
	// trusting its lease.
	fence time.Duration

	mu    sync.Mutex
	held  bool
	epoch uint64

	// poke wakes the keeper before its next tick.
	poke chan struct{}

	cancel context.CancelFunc
	done   chan struct{}
}

// NewKeeper returns a keeper; Start begins acquiring.
func NewKeeper(cfg KeeperConfig, log *zap.Logger) (*Keeper, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	// Renewing every TTL/10 and fencing 2 s (at the default TTL) before the
	// earliest expiry lets a lease ride out a NATS leader election (4–9 s
	// after a node dies) more often than not, and still stops the holder
	// before anyone else can take the lease.
	tick := cfg.TTL / 10
	return &Keeper{
		cfg:   cfg,
		log:   log.Named("lease").With(zap.String("key", cfg.Key)),
		tick:  tick,
		fence: cfg.TTL - 2*tick,
		poke:  make(chan struct{}, 1),
	}, nil
}

// Start runs the keeper until Stop.
func (k *Keeper) Start(ctx context.Context) {
	ctx, k.cancel = context.WithCancel(ctx)
	k.done = make(chan struct{})
	go k.run(ctx)
}

// Stop gives the lease up: OnLost runs first, then the key is deleted so a
// successor can take it at once.
func (k *Keeper) Stop(ctx context.Context) error {
	if k.cancel == nil {
		return nil
	}
	k.cancel()
	select {
	case <-k.done:
	case <-ctx.Done():
		return fmt.Errorf("lease: stop %s: %w", k.cfg.Key, ctx.Err())
	}
	return nil
}

// Held reports whether the lease is held and its epoch.
func (k *Keeper) Held() (uint64, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.epoch, k.held
}

func (k *Keeper) setHeld(held bool, epoch uint64) {
	k.mu.Lock()
	k.held, k.epoch = held, epoch
	k.mu.Unlock()
}

func (k *Keeper) run(ctx context.Context) {
	defer close(k.done)
	var (
		rev       uint64
		lastWrite time.Time
		held      bool
	)
	lose := func(reason string) {
		k.log.Warn("lease lost", zap.String("reason", reason))
		k.setHeld(false, 0)
		held = false
		k.cfg.OnLost()
	}
	t := time.NewTimer(0)
	<-t.C
	defer t.Stop()
	for {
		// A write is stamped by the server after it is sent, so the lease
		// lasts at least TTL from the send: that is the time that counts.
		sent := time.Now()
		if !held {
			if r, err := k.acquire(ctx); err == nil {
				rev, lastWrite, held = r, sent, true
				k.setHeld(true, r)
				k.log.Debug("lease acquired", zap.Uint64("epoch", r))
				k.cfg.OnAcquired(r)
			}
		} else {
			fenceAt := lastWrite.Add(k.fence)
			r, err := k.renew(ctx, rev, fenceAt)
			switch {
			case err == nil:
				rev, lastWrite = r, sent
			case errors.Is(err, errLost):
				lose("taken")
			case !time.Now().Before(fenceAt):
				lose("fenced")
			}
		}
		// The next attempt comes a tick after this one started, or at the
		// fence time if that is sooner: fencing must not wait for a tick.
		next := k.tick - time.Since(sent)
		if held {
			next = min(next, time.Until(lastWrite.Add(k.fence)))
		}
		t.Reset(max(next, 0))
		select {
		case <-ctx.Done():
			if held {
				k.setHeld(false, 0)
				k.cfg.OnLost()
				k.release(rev)
			}
			return
		case <-t.C:
		case <-k.poke:
		}
	}
}

// Poke makes the keeper try at once instead of at its next tick. Owners
// call it when they see the key deleted or expired, so a lease given up by
// its holder or left by a crashed one is taken within moments.
func (k *Keeper) Poke() {
	select {
	case k.poke <- struct{}{}:
	default:
	}
}

var errLost = errors.New("lease: lost")

func (k *Keeper) acquire(ctx context.Context) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, k.tick)
	defer cancel()
	rev, err := k.cfg.KV.Create(ctx, k.cfg.Key, []byte(k.cfg.Holder))
	if err == nil {
		return rev, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return 0, err
	}
	// A lease left by an earlier incarnation with the same holder id is ours
	// to adopt; anyone else's we wait out.
	e, gerr := k.cfg.KV.Get(ctx, k.cfg.Key)
	if gerr != nil || string(e.Value()) != k.cfg.Holder {
		return 0, err
	}
	return k.cfg.KV.Update(ctx, k.cfg.Key, []byte(k.cfg.Holder), e.Revision())
}

// renew rewrites the lease at revision rev; the attempt ends at the next
// tick or at fenceAt, whichever is sooner.
func (k *Keeper) renew(ctx context.Context, rev uint64, fenceAt time.Time) (uint64, error) {
	deadline := time.Now().Add(k.tick)
	if fenceAt.Before(deadline) {
		deadline = fenceAt
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	r, err := k.cfg.KV.Update(ctx, k.cfg.Key, []byte(k.cfg.Holder), rev)
	if err == nil {
		return r, nil
	}
	var apiErr *jetstream.APIError
	if errors.Is(err, jetstream.ErrKeyExists) || (errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence) {
		return 0, errLost
	}
	return 0, err
}

func (k *Keeper) release(rev uint64) {
	// Detached on purpose: the run context is already cancelled, and the
	// release is a best effort bounded by half a TTL (after that, expiry
	// frees the lease anyway).
	ctx, cancel := context.WithTimeout(context.Background(), k.cfg.TTL/2)
	defer cancel()
	if err := k.cfg.KV.Delete(ctx, k.cfg.Key, jetstream.LastRevision(rev)); err != nil {
		k.log.Warn("lease release failed", zap.Error(err))
	}
}
