package ownership

import (
	"context"
	"encoding/json"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/lease"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// watchMembers signals membership changes (a worker joining, leaving
// explicitly, starting to drain, or expiring: the bucket keeps limit
// markers, so a crashed worker's heartbeat expiry shows as a purge) seen on
// wa_workers. Heartbeats of known members are not changes; the periodic
// rebalance covers a missed watch. The channel closes when ctx ends or the
// watch fails; the caller drains it to wait for the watch goroutine.
func (o *Ownership) watchMembers(ctx context.Context) <-chan struct{} {
	out := make(chan struct{}, 1)
	w, err := o.cfg.Workers.WatchAll(ctx)
	if err != nil {
		o.log.Warn("worker watch failed", zap.Error(err))
		close(out)
		return out
	}
	go func() {
		defer close(out)
		defer func() { _ = w.Stop() }()
		known := map[string]bool{} // id → draining
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil || !changed(known, e) {
					continue
				}
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
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
// lets go or its lease runs out (limit markers make expiries visible). The
// returned channel closes when the watch goroutine has ended.
func (o *Ownership) watchLeases(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	w, err := o.cfg.Leases.WatchAll(ctx, jetstream.UpdatesOnly())
	if err != nil {
		o.log.Warn("lease watch failed; keepers retry on their ticks", zap.Error(err))
		close(done)
		return done
	}
	go func() {
		defer close(done)
		defer func() { _ = w.Stop() }()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil || e.Operation() == jetstream.KeyValuePut {
					continue
				}
				p, ok := subject.LeaseShard(e.Key())
				if !ok {
					continue
				}
				o.mu.Lock()
				k := o.keepers[p]
				o.mu.Unlock()
				if k != nil {
					k.Poke()
				}
			}
		}
	}()
	return done
}
