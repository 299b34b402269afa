package lease

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// Member is what a live process writes into the registry bucket.
type Member struct {
	ID        string    `json:"id"`
	StartedAt time.Time `json:"started_at"`
	// Draining members are alive but take no new work.
	Draining bool `json:"draining,omitempty"`
	// Heartbeat is the time of the member's last write.
	Heartbeat time.Time `json:"heartbeat"`
}

// Registry heartbeats this process into a TTL bucket (wa_workers) and lists
// the live members.
type Registry struct {
	kv   jetstream.KeyValue
	log  *zap.Logger
	tick time.Duration

	mu     sync.Mutex
	member Member
	// lastBeat is when the last heartbeat write succeeded.
	lastBeat time.Time

	cancel context.CancelFunc
	done   chan struct{}
}

// NewRegistry returns a registry for id in kv, whose TTL is ttl.
func NewRegistry(kv jetstream.KeyValue, id string, ttl time.Duration, log *zap.Logger) *Registry {
	return &Registry{
		kv:     kv,
		log:    log.Named("registry"),
		tick:   ttl / 5,
		member: Member{ID: id, StartedAt: time.Now().UTC()},
	}
}

// Start writes the first heartbeat and keeps heartbeating until Stop.
func (r *Registry) Start(ctx context.Context) error {
	if err := r.beat(ctx); err != nil {
		return err
	}
	ctx, r.cancel = context.WithCancel(ctx)
	r.done = make(chan struct{})
	go func() {
		defer close(r.done)
		t := time.NewTicker(r.tick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := r.beat(ctx); err != nil && ctx.Err() == nil {
					r.log.Warn("heartbeat failed", zap.Error(err))
				}
			}
		}
	}()
	return nil
}

// SetDraining marks this member as draining (it stays listed as alive but
// is no longer a target owner) and writes it at once.
func (r *Registry) SetDraining(ctx context.Context) error {
	r.mu.Lock()
	r.member.Draining = true
	r.mu.Unlock()
	return r.beat(ctx)
}

// Stop stops heartbeating and removes this member.
func (r *Registry) Stop(ctx context.Context) error {
	if r.cancel == nil {
		return nil
	}
	r.cancel()
	<-r.done
	r.mu.Lock()
	id := r.member.ID
	r.mu.Unlock()
	if err := r.kv.Delete(ctx, id); err != nil {
		return fmt.Errorf("registry: remove %s: %w", id, err)
	}
	return nil
}

func (r *Registry) beat(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.tick)
	defer cancel()
	r.mu.Lock()
	r.member.Heartbeat = time.Now().UTC()
	b, err := json.Marshal(r.member)
	id := r.member.ID
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("registry: encode: %w", err)
	}
	sent := time.Now()
	if _, err := r.kv.Put(ctx, id, b); err != nil {
		return fmt.Errorf("registry: heartbeat: %w", err)
	}
	r.mu.Lock()
	r.lastBeat = sent
	r.mu.Unlock()
	return nil
}

// LastBeat is when the last successful heartbeat was sent (zero before the
// first): a member whose last beat is older than the bucket TTL is gone for
// everyone else.
func (r *Registry) LastBeat() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastBeat
}

// Members lists every live member, sorted by id. A listing its context
// ends before it is complete is an error, never a shorter list: a worker
// counting fewer live members would target the shards of one that is
// alive.
//
// One pass of a KV watch is not enough: while members heartbeat, the
// watch's end-of-current-values marker can come before every key was
// delivered (TestMembersCompleteWhileHeartbeating: ~0.5 % of passes with
// three members beating every 20 ms). With one message per key (History 1),
// the bucket's message count is the number of keys, markers of expired or
// removed members included; a pass that saw fewer keys is repeated.
func Members(ctx context.Context, kv jetstream.KeyValue) ([]Member, error) {
	for {
		ms, keys, err := membersPass(ctx, kv)
		if err != nil {
			return nil, err
		}
		st, err := kv.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("registry: status: %w", err)
		}
		if st.History() > 1 || uint64(keys) >= st.Values() {
			return ms, nil // with history, the count is no longer one a key
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("registry: list: %w", ctx.Err())
		case <-time.After(repassDelay):
		}
	}
}

// repassDelay spaces the passes of a listing that came back short.
const repassDelay = 20 * time.Millisecond

// membersPass reads the bucket's current values once and returns the live
// members and how many keys it saw, markers included.
func membersPass(ctx context.Context, kv jetstream.KeyValue) ([]Member, int, error) {
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("registry: list: %w", err)
	}
	defer func() { _ = w.Stop() }()
	seen := map[string]*Member{}
	for {
		select {
		case <-ctx.Done():
			return nil, 0, fmt.Errorf("registry: list: %w", ctx.Err())
		case e, ok := <-w.Updates():
			if !ok {
				return nil, 0, errors.New("registry: list ended early")
			}
			if e == nil { // the watch's end of current values
				out := make([]Member, 0, len(seen))
				for _, m := range seen {
					if m != nil {
						out = append(out, *m)
					}
				}
				sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
				return out, len(seen), nil
			}
			var m Member
			if e.Operation() != jetstream.KeyValuePut || json.Unmarshal(e.Value(), &m) != nil || m.ID == "" {
				seen[e.Key()] = nil
				continue
			}
			seen[e.Key()] = &m
		}
	}
}

// Live returns the ids of live, non-draining members.
func Live(ctx context.Context, kv jetstream.KeyValue) ([]string, error) {
	ms, err := Members(ctx, kv)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(ms))
	for _, m := range ms {
		if !m.Draining {
			ids = append(ids, m.ID)
		}
	}
	return ids, nil
}

// Live returns the ids of live, non-draining members of this registry's bucket.
func (r *Registry) Live(ctx context.Context) ([]string, error) { return Live(ctx, r.kv) }
