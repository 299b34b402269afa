package mirror

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// table is what a watch feeds: one bucket's copy.
type table interface {
	// apply records one watched entry (put, delete or purge).
	apply(e jetstream.KeyValueEntry)
	// beginResync starts a full re-delivery after a re-created watch.
	beginResync()
	// endResync drops keys the re-delivery did not mention.
	endResync()
}

// run watches kv into t until ctx ends, re-creating the watch when its
// subscription closes. synced is closed after the first initial delivery;
// live is true from each initial delivery until that watch ends.
func (m *Mirror) run(ctx context.Context, kv jetstream.KeyValue, t table, synced chan struct{}, live *atomic.Bool) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		first := true
		for ctx.Err() == nil {
			if !first {
				t.beginResync()
			}
			err := m.watchOnce(ctx, kv, t, func() {
				live.Store(true)
				if first {
					close(synced)
					first = false
					return
				}
				t.endResync()
			})
			live.Store(false)
			if ctx.Err() != nil {
				return
			}
			m.log.Warn("watch ended, re-creating", zap.String("bucket", kv.Bucket()), zap.Error(err))
			select {
			case <-ctx.Done():
				return
			case <-time.After(rewatchDelay):
			}
		}
	}()
}

// watchOnce runs one watch until its updates channel closes or ctx ends.
func (m *Mirror) watchOnce(ctx context.Context, kv jetstream.KeyValue, t table, onSynced func()) error {
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return err
	}
	defer m.stopWatcher(w)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return errWatchClosed
			}
			if e == nil {
				onSynced()
				continue
			}
			t.apply(e)
		}
	}
}

// stopWatcher unsubscribes w. Unsubscribing removes the local subscription
// at once and then asks the server to delete the ordered consumer; with NATS
// unreachable that request would block for the JetStream timeout (5 s), so
// it then runs in the background: it ends by itself within that timeout,
// and the server drops the consumer after its inactivity threshold anyway.
func (m *Mirror) stopWatcher(w jetstream.KeyWatcher) {
	if m.cfg.Connected() {
		_ = w.Stop()
		return
	}
	go func() { _ = w.Stop() }()
}
