package cluster

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/lease"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// observer follows wa_sessions and wa_shard_leases with KV watches and
// keeps what the tests check: each session's record, when it last became
// WORKING (or changed owner while WORKING), the command ids applied to it,
// and each shard's holder with the times it was taken and let go.
type observer struct {
	mu        sync.Mutex
	recs      map[string]session.Record
	workingAt map[string]time.Time
	cmds      map[string]map[string]bool
	holder    map[int]string
	takenAt   map[int]time.Time
	freedAt   map[int]time.Time
}

func newObserver(tb testing.TB, b *bus.Buckets) *observer {
	tb.Helper()
	o := &observer{
		recs: map[string]session.Record{}, workingAt: map[string]time.Time{}, cmds: map[string]map[string]bool{},
		holder: map[int]string{}, takenAt: map[int]time.Time{}, freedAt: map[int]time.Time{},
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	tb.Cleanup(func() { cancel(); wg.Wait() })
	for _, w := range []struct {
		kv jetstream.KeyValue
		fn func(jetstream.KeyValueEntry, time.Time)
	}{{b.Sessions, o.session}, {b.Leases, o.lease}} {
		watch, err := w.kv.WatchAll(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.follow(ctx, tb, w.kv, watch, w.fn)
		}()
	}
	return o
}

// follow hands watch's entries to fn until ctx ends. A watch whose
// updates close under it (nats.go drops an ordered consumer it cannot
// re-create, which a loaded cluster provokes) is created again, as the
// workers' own watches are: the observer must not go blind mid-test.
func (o *observer) follow(ctx context.Context, tb testing.TB, kv jetstream.KeyValue, watch jetstream.KeyWatcher,
	fn func(jetstream.KeyValueEntry, time.Time)) {
	for {
		closed := func() bool {
			defer func() { _ = watch.Stop() }()
			for {
				select {
				case <-ctx.Done():
					return false
				case e, ok := <-watch.Updates():
					if !ok {
						return true
					}
					if e != nil {
						fn(e, time.Now())
					}
				}
			}
		}()
		if !closed {
			return
		}
		for {
			var err error
			if watch, err = kv.WatchAll(ctx); err == nil {
				break
			}
			if ctx.Err() != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		tb.Logf("observer: watch of %s closed, re-created", kv.Bucket())
	}
}

func (o *observer) session(e jetstream.KeyValueEntry, at time.Time) {
	_, id, _ := strings.Cut(e.Key(), ".")
	o.mu.Lock()
	defer o.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(o.recs, id)
		return
	}
	var r session.Record
	if json.Unmarshal(e.Value(), &r) != nil {
		return
	}
	prev, had := o.recs[id]
	o.recs[id] = r
	if r.State.Status == session.StatusWorking &&
		(!had || prev.State.Status != session.StatusWorking || prev.State.Owner != r.State.Owner) {
		o.workingAt[id] = at
	}
	if r.State.Command != "" {
		if o.cmds[id] == nil {
			o.cmds[id] = map[string]bool{}
		}
		o.cmds[id][r.State.Command] = true
	}
}

func (o *observer) lease(e jetstream.KeyValueEntry, at time.Time) {
	p, ok := subject.LeaseShard(e.Key())
	if !ok {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(o.holder, p)
		o.freedAt[p] = at
		return
	}
	if h, _ := lease.ParseValue(e.Value(), e.Revision()); o.holder[p] != h {
		o.holder[p] = h
		o.takenAt[p] = at
	}
}

// record returns the last seen record of session id.
func (o *observer) record(id string) (session.Record, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, ok := o.recs[id]
	return r, ok
}

// records returns a copy of every session record.
func (o *observer) records() map[string]session.Record {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string]session.Record, len(o.recs))
	for id, r := range o.recs {
		out[id] = r
	}
	return out
}

// sinceWorking is when session id last became WORKING (or changed owner).
func (o *observer) sinceWorking(id string) time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.workingAt[id]
}

// applied reports whether command cmd was applied to session id.
func (o *observer) applied(id, cmd string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.cmds[id][cmd]
}

// leaseHolders maps each held shard to its holder.
func (o *observer) leaseHolders() map[int]string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[int]string, len(o.holder))
	for p, h := range o.holder {
		out[p] = h
	}
	return out
}

// leaseTimes returns when shard p was last taken and last let go.
func (o *observer) leaseTimes(p int) (taken, freed time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.takenAt[p], o.freedAt[p]
}
