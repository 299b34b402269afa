package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/switchboard-gw/switchboard/scheduler/health"
	"github.com/switchboard-gw/switchboard/shared/lease"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// snapshot is everything one sweep reads, taken at its start.
type snapshot struct {
	records []session.Record
	// undecodable counts session values that are not records.
	undecodable int
	// books holds restart books by session key (<tenant>.<session>).
	books map[string]health.Book
	// members holds every registered worker (draining ones included).
	members map[string]bool
	// workersLive reports whether any worker takes work.
	workersLive bool
	// leases holds the keys of the shard leases currently held.
	leases map[string]bool
	// liveness holds the shard liveness records by lease key (s.<p>).
	liveness map[string]vouch
}

// errWatchClosed means a KV watch ended before its initial values.
var errWatchClosed = errors.New("scheduler: kv watch closed early")

// takeSnapshot reads the four sources concurrently. Sessions are read with
// one KV watch (the bucket's last values, streamed), never key by key.
func (s *Scheduler) takeSnapshot(ctx context.Context, state jetstream.KeyValue) (*snapshot, error) {
	snap := &snapshot{books: map[string]health.Book{}, members: map[string]bool{}, leases: map[string]bool{}, liveness: map[string]vouch{}}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		snap.records, snap.undecodable, err = readRecords(gctx, s.b.Sessions)
		return err
	})
	g.Go(func() error {
		return readAll(gctx, state, bookPrefix+">", func(key string, val []byte) {
			var b health.Book
			if json.Unmarshal(val, &b) == nil {
				snap.books[strings.TrimPrefix(key, bookPrefix)] = b
			}
		})
	})
	g.Go(func() error {
		ms, err := lease.Members(gctx, s.b.Workers)
		if err != nil {
			return fmt.Errorf("scheduler: workers: %w", err)
		}
		for _, m := range ms {
			snap.members[m.ID] = true
			snap.workersLive = snap.workersLive || !m.Draining
		}
		return nil
	})
	g.Go(func() error {
		return readAll(gctx, s.b.Leases, ">", func(key string, _ []byte) { snap.leases[key] = true })
	})
	g.Go(func() error {
		return readAll(gctx, s.b.Liveness, ">", func(key string, val []byte) {
			var l session.ShardLiveness
			if json.Unmarshal(val, &l) == nil {
				snap.liveness[key] = newVouch(l)
			}
		})
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return snap, nil
}

// readAll calls fn for the current value of every key matching filter.
func readAll(ctx context.Context, kv jetstream.KeyValue, filter string, fn func(key string, val []byte)) error {
	w, err := kv.Watch(ctx, filter, jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("scheduler: watch %s: %w", kv.Bucket(), err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("scheduler: read %s: %w", kv.Bucket(), ctx.Err())
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("%w: %s", errWatchClosed, kv.Bucket())
			}
			if e == nil { // end of the initial values
				return nil
			}
			fn(e.Key(), e.Value())
		}
	}
}

// readRecords streams the sessions bucket and decodes it on every core:
// JSON decoding, not NATS, is the cost at 100,000 sessions.
func readRecords(ctx context.Context, kv jetstream.KeyValue) ([]session.Record, int, error) {
	var raw [][]byte
	if err := readAll(ctx, kv, ">", func(_ string, val []byte) { raw = append(raw, val) }); err != nil {
		return nil, 0, err
	}
	recs := make([]session.Record, len(raw))
	ok := make([]bool, len(raw))
	workers := runtime.GOMAXPROCS(0)
	chunk := (len(raw) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(raw); lo += chunk {
		hi := min(lo+chunk, len(raw))
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				ok[i] = json.Unmarshal(raw[i], &recs[i]) == nil && recs[i].Tenant != "" && recs[i].ID != ""
			}
		})
	}
	wg.Wait()
	out, bad := recs[:0], 0
	for i := range recs {
		if ok[i] {
			out = append(out, recs[i])
		} else {
			bad++
		}
	}
	return out, bad, nil
}
