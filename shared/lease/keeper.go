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
	// or given up by Stop (unless OnRelease is set). It must stop all work
	// done under the lease before returning: the lease is released only
	// afterwards.
	OnLost func()
	// OnRelease, when set, runs instead of OnLost when Stop gives up a lease
	// that is still held. Its ctx ends at the fence time, so the holder may
	// still write under the lease (record that its work is handed over)
	// before stopping all work and returning; the lease is released
	// afterwards.
	OnRelease func(ctx context.Context)
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
	cfg KeeperConfig
	log *zap.Logger
	// tick paces attempts to acquire and retries of a failed renewal;
	// renewEvery paces the renewals of a healthy lease.
	tick       time.Duration
	renewEvery time.Duration
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
	// Renewing every TTL/4, retrying a failed renewal every TTL/10 and
	// fencing 2 s (at the default TTL) before the earliest expiry lets a
	// lease ride out a NATS leader election (4–9 s after a node dies) more
	// often than not, and still stops the holder before anyone else can
	// take the lease. A healthy lease costs a KV write (and one delivery to
	// every watcher of the bucket) per renewal, so renewals are not more
	// frequent than the retries need.
	tick := cfg.TTL / 10
	return &Keeper{
		cfg:        cfg,
		log:        log.Named("lease").With(zap.String("key", cfg.Key)),
		tick:       tick,
		renewEvery: cfg.TTL / 4,
		fence:      cfg.TTL - 2*tick,
		poke:       make(chan struct{}, 1),
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
		epoch     uint64
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
				rev, epoch, lastWrite, held = r, r, sent, true
				k.setHeld(true, r)
				k.log.Debug("lease acquired", zap.Uint64("epoch", r))
				k.cfg.OnAcquired(r)
			}
		} else {
			fenceAt := lastWrite.Add(k.fence)
			r, err := k.renew(ctx, rev, epoch, fenceAt)
			switch {
			case err == nil:
				rev, lastWrite = r, sent
			case errors.Is(err, errLost):
				lose("taken")
			case !time.Now().Before(fenceAt):
				lose("fenced")
			}
		}
		t.Reset(max(k.nextAttempt(sent, lastWrite, held), 0))
		select {
		case <-ctx.Done():
			if held {
				k.giveUp(rev, epoch, lastWrite)
			}
			return
		case <-t.C:
		case <-k.poke:
		}
	}
}

// nextAttempt is how long to wait after an attempt sent at sent. Without
// the lease, or after a failed renewal, that is a tick after the attempt
// started. A lease renewed at lastWrite is renewed again at a whole
// multiple of renewEvery on the wall clock, so that all of a process's
// leases renew in one burst instead of each waking the process (and the
// server) on its own. Either way it is no later than the fence time:
// fencing must not wait for a tick.
func (k *Keeper) nextAttempt(sent, lastWrite time.Time, held bool) time.Duration {
	if !held {
		return k.tick - time.Since(sent)
	}
	next := k.tick - time.Since(sent)
	if lastWrite.Equal(sent) {
		// At least a tick later: a renewal sent just before a boundary is
		// not repeated just after it.
		next = time.Until(sent.Add(k.tick).Truncate(k.renewEvery).Add(k.renewEvery))
	}
	return min(next, time.Until(lastWrite.Add(k.fence)))
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
	rev, err := k.cfg.KV.Create(ctx, k.cfg.Key, EncodeValue(k.cfg.Holder, 0))
	if err == nil {
		return rev, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return 0, err
	}
	// A lease left by an earlier incarnation with the same holder id is ours
	// to adopt; anyone else's we wait out.
	e, gerr := k.cfg.KV.Get(ctx, k.cfg.Key)
	if gerr != nil {
		return 0, err
	}
	if holder, _ := ParseValue(e.Value(), e.Revision()); holder != k.cfg.Holder {
		return 0, err
	}
	// Adopting starts a new epoch (this entry's revision): whatever the
	// earlier incarnation wrote under the old one is not vouched for.
	return k.cfg.KV.Update(ctx, k.cfg.Key, EncodeValue(k.cfg.Holder, 0), e.Revision())
}

// giveUp hands a held lease back on Stop: OnRelease (or OnLost) stops the
// work under it, then the key is deleted.
func (k *Keeper) giveUp(rev, epoch uint64, lastWrite time.Time) {
	k.setHeld(false, 0)
	if k.cfg.OnRelease == nil {
		k.cfg.OnLost()
	} else {
		// Detached on purpose: the run context is cancelled; the lease is
		// trusted until the fence time and no longer.
		ctx, cancel := context.WithDeadline(context.Background(), lastWrite.Add(k.fence))
		k.cfg.OnRelease(ctx)
		cancel()
	}
	k.release(rev, epoch)
}

// renew rewrites the lease at revision rev, naming the epoch it was taken
// at. The attempt may last until fenceAt: on a loaded server a renewal
// that takes longer than a tick still keeps the lease, where giving up on
// it would only send another write behind it.
func (k *Keeper) renew(ctx context.Context, rev, epoch uint64, fenceAt time.Time) (uint64, error) {
	ctx, cancel := context.WithDeadline(ctx, fenceAt)
	defer cancel()
	r, err := k.cfg.KV.Update(ctx, k.cfg.Key, EncodeValue(k.cfg.Holder, epoch), rev)
	if err == nil {
		return r, nil
	}
	var apiErr *jetstream.APIError
	if !errors.Is(err, jetstream.ErrKeyExists) && !(errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence) {
		return 0, err
	}
	// A renewal whose answer was lost (it timed out here but the server
	// applied it) leaves a newer revision of our own: the value names this
	// holder and this epoch, which no one else writes (a new incarnation of
	// the holder adopts with a new epoch). Carry on from it.
	if e, gerr := k.cfg.KV.Get(ctx, k.cfg.Key); gerr == nil {
		if h, ep := ParseValue(e.Value(), e.Revision()); h == k.cfg.Holder && ep == epoch {
			return e.Revision(), nil
		}
	}
	return 0, errLost
}

func (k *Keeper) release(rev, epoch uint64) {
	// Detached on purpose: the run context is already cancelled, and the
	// release is a best effort bounded by half a TTL (after that, expiry
	// frees the lease anyway).
	ctx, cancel := context.WithTimeout(context.Background(), k.cfg.TTL/2)
	defer cancel()
	err := k.cfg.KV.Delete(ctx, k.cfg.Key, jetstream.LastRevision(rev))
	if err == nil {
		return
	}
	e, gerr := k.cfg.KV.Get(ctx, k.cfg.Key)
	switch {
	case errors.Is(gerr, jetstream.ErrKeyNotFound):
		// Expired meanwhile: nothing left to release.
		k.log.Info("lease expired before its release")
		return
	case gerr == nil:
		h, ep := ParseValue(e.Value(), e.Revision())
		if h != k.cfg.Holder || ep != epoch {
			k.log.Info("lease expired and taken before its release", zap.String("holder", h))
			return
		}
		// Still ours: a renewal cut short by the stop was applied after all.
		if err = k.cfg.KV.Delete(ctx, k.cfg.Key, jetstream.LastRevision(e.Revision())); err == nil {
			return
		}
	}
	k.log.Warn("lease release failed", zap.Error(err))
}
