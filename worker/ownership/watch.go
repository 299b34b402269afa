package ownership

import (
	"context"
	"encoding/json"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/lease"
)

// watchMembers signals membership changes (a worker joining, leaving
// explicitly, or starting to drain) seen on wa_workers. Heartbeats of known
// members are not changes. Expiry by TTL leaves no marker, so the periodic
// rebalance covers crashed workers. The channel closes when ctx ends or the
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
