package shards

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/shard"
	"github.com/switchboard-gw/switchboard/worker/report"
)

const (
	// scanGather is how long a scan waits for more shards to join it: the
	// shards of one takeover are acquired within moments of each other.
	scanGather = 20 * time.Millisecond
	// scanWait bounds one pass over wa_sessions.
	scanWait = time.Minute
)

// Scanner reads the session records of shards that start together in one
// pass over wa_sessions (a KV watch of the current values, served by the
// stream leader), instead of a key listing and a read per session for each
// shard: a takeover of twenty shards costs one scan. One per worker.
type Scanner struct {
	kv    jetstream.KeyValue
	count int

	mu   sync.Mutex
	next *scan
}

// scan is one pass, shared by the shards that asked before it began.
type scan struct {
	done chan struct{}
	// want is the shards that asked; fixed once the scan begins. Records
	// of other shards are skipped undecoded (a takeover of a third of
	// 30,000 sessions decoded all 30,000).
	want    map[int]bool
	byShard map[int][]report.Snapshot
	err     error
}

// NewScanner returns a Scanner of bucket kv for a shard count of count.
func NewScanner(kv jetstream.KeyValue, count int) *Scanner {
	return &Scanner{kv: kv, count: count}
}

// Sessions returns the records of shard p from a scan that begins after
// the call (so it sees every write made before it).
func (x *Scanner) Sessions(ctx context.Context, p int) ([]report.Snapshot, error) {
	x.mu.Lock()
	sc := x.next
	if sc == nil {
		sc = &scan{done: make(chan struct{}), want: map[int]bool{}}
		x.next = sc
		// Ends within scanGather+scanWait whatever the callers do; every
		// caller waits for it or for its own context.
		go x.run(sc)
	}
	sc.want[p] = true
	x.mu.Unlock()
	select {
	case <-sc.done:
		return sc.byShard[p], sc.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (x *Scanner) run(sc *scan) {
	defer close(sc.done)
	time.Sleep(scanGather)
	x.mu.Lock()
	x.next = nil // later callers start the next scan
	x.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), scanWait)
	defer cancel()
	sc.byShard, sc.err = x.scanAll(ctx, sc.want)
}

func (x *Scanner) scanAll(ctx context.Context, want map[int]bool) (map[int][]report.Snapshot, error) {
	w, err := x.kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, err
	}
	defer func() { _ = w.Stop() }()
	out := map[int][]report.Snapshot{}
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("shards: session scan ended early")
			}
			if e == nil {
				return out, nil // every current value seen
			}
			tenant, id, ok := strings.Cut(e.Key(), ".")
			if !ok {
				continue
			}
			p := shard.Of(tenant, id, x.count)
			var rec session.Record
			if !want[p] || json.Unmarshal(e.Value(), &rec) != nil {
				continue
			}
			rec.Tenant, rec.ID = tenant, id
			out[p] = append(out[p], report.Snapshot{Record: rec, Revision: e.Revision()})
		}
	}
}
