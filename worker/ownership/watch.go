package ownership

import (
	"context"
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/lease"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// rewatchDelay is how long a watch that closed (or could not be created)
// waits before it is created again.
const rewatchDelay = time.Second

// follow runs watches made by open until ctx ends: each entry goes to fn;
// a watch whose subscription closes under it (nats.go unsubscribes an
// ordered consumer it cannot re-create, e.g. under load) is created again
// after rewatchDelay, and resumed runs once it is, since whatever changed
// meanwhile was not seen. A watch that fails to start counts the same.
func (o *Ownership) follow(ctx context.Context, bucket string, open func(context.Context) (jetstream.KeyWatcher, error),
	fn func(jetstream.KeyValueEntry), resumed func()) {
	for first := true; ; first = false {
		if !first {
			select {
			case <-ctx.Done():
				return
			case <-time.After(rewatchDelay):
			}
		}
		w, err := open(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			o.log.Warn("watch not created, retrying", zap.String("bucket", bucket), zap.Error(err))
			continue
		}
		if !first {
			resumed()
		}
		closed := o.drain(ctx, w, fn)
		_ = w.Stop()
		if !closed {
			return
		}
		o.log.Warn("watch closed, re-creating", zap.String("bucket", bucket))
	}
}

// drain hands w's entries to fn until ctx ends (false) or w's updates
// channel closes (true).
func (o *Ownership) drain(ctx context.Context, w jetstream.KeyWatcher, fn func(jetstream.KeyValueEntry)) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case e, ok := <-w.Updates():
			if !ok {
				return true
			}
			if e != nil {
				fn(e)
			}
		}
	}
}

// watchMembers signals membership changes (a worker joining, leaving
// explicitly, starting to drain, or expiring: the bucket keeps limit
// markers, so a crashed worker's heartbeat expiry shows as a purge) seen on
// wa_workers. Heartbeats of known members are not changes; a re-created
// watch is one (changes may have been missed), and the periodic rebalance
// covers the rest. The channel closes when ctx ends; the caller drains it
// to wait for the watch goroutine.
func (o *Ownership) watchMembers(ctx context.Context) <-chan struct{} {
	out := make(chan struct{}, 1)
	signal := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	known := map[string]bool{} // id → draining
	go func() {
		defer close(out)
		o.follow(ctx, o.cfg.Workers.Bucket(), func(ctx context.Context) (jetstream.KeyWatcher, error) {
			return o.cfg.Workers.WatchAll(ctx)
		}, func(e jetstream.KeyValueEntry) {
			if changed(known, e) {
				signal()
			}
		}, signal)
	}()
	return out
}

// changed updates known with e and reports whether membership changed.
func changed(known map[string]bool, e jetstream.KeyValueEntry) bool {
	id := e.Key()
	if e.Operation() != jetstream.KeyValuePut {
		_, was := known[id]
		delete(known, id)
		return was
	}
	var m lease.Member
	if json.Unmarshal(e.Value(), &m) != nil {
		return false
	}
	draining, was := known[id]
	known[id] = m.Draining
	return !was || draining != m.Draining
}

// watchLeases pokes the keeper of a shard whose lease is released or
// expires, so that a target shard is taken the moment its previous holder
// lets go or its lease runs out (limit markers make expiries visible). A
// re-created watch pokes every keeper: a release may have been missed. The
// returned channel closes when the watch goroutine has ended.
func (o *Ownership) watchLeases(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.follow(ctx, o.cfg.Leases.Bucket(), func(ctx context.Context) (jetstream.KeyWatcher, error) {
			return o.cfg.Leases.WatchAll(ctx, jetstream.UpdatesOnly())
		}, func(e jetstream.KeyValueEntry) {
			if e.Operation() == jetstream.KeyValuePut {
				return
			}
			if p, ok := subject.LeaseShard(e.Key()); ok {
				o.poke(p)
			}
		}, o.pokeAll)
	}()
	return done
}

// poke wakes the keeper of shard p, if there is one.
func (o *Ownership) poke(p int) {
	o.mu.Lock()
	k := o.keepers[p]
	o.mu.Unlock()
	if k != nil {
		k.Poke()
	}
}

// pokeAll wakes every keeper.
func (o *Ownership) pokeAll() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, k := range o.keepers {
		k.Poke()
	}
}
