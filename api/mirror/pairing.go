package mirror

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/session"
)

// pairingEntry is one mirrored pairing value with its server timestamp.
type pairingEntry struct {
	p       session.Pairing
	rev     uint64
	created time.Time
}

// pairingTable mirrors wa_pairing and wakes waiters on changes.
type pairingTable struct {
	log *zap.Logger
	ttl time.Duration

	mu      sync.Mutex
	byKey   map[string]*pairingEntry
	waiters map[string]chan struct{} // closed on the next change of the key
	seen    map[string]struct{}
}

func newPairingTable(log *zap.Logger, ttl time.Duration) *pairingTable {
	return &pairingTable{log: log, ttl: ttl, byKey: map[string]*pairingEntry{}, waiters: map[string]chan struct{}{}}
}

func (t *pairingTable) apply(e jetstream.KeyValueEntry) {
	key, rev := e.Key(), e.Revision()
	var next *pairingEntry
	if e.Operation() == jetstream.KeyValuePut {
		var p session.Pairing
		if err := json.Unmarshal(e.Value(), &p); err != nil {
			t.log.Warn("undecodable pairing entry ignored", zap.String("key", key), zap.Uint64("revision", rev), zap.Error(err))
			return
		}
		next = &pairingEntry{p: p, rev: rev, created: e.Created()}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen != nil {
		t.seen[key] = struct{}{}
	}
	if next == nil {
		delete(t.byKey, key)
	} else {
		t.byKey[key] = next
	}
	if ch, ok := t.waiters[key]; ok {
		close(ch)
		delete(t.waiters, key)
	}
}

func (t *pairingTable) beginResync() {
	t.mu.Lock()
	t.seen = map[string]struct{}{}
	t.mu.Unlock()
}

func (t *pairingTable) endResync() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for key := range t.byKey {
		if _, ok := t.seen[key]; !ok {
			delete(t.byKey, key)
		}
	}
	t.seen = nil
}

// getLocked returns the unexpired entry at key.
func (t *pairingTable) getLocked(key string) (session.Pairing, bool) {
	e := t.byKey[key]
	if e == nil || time.Since(e.created) > t.ttl {
		return session.Pairing{}, false
	}
	return e.p, true
}

func (t *pairingTable) get(key string) (session.Pairing, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.getLocked(key)
}

// wait blocks until the entry at key satisfies done or ctx ends.
func (t *pairingTable) wait(ctx context.Context, key string, done func(session.Pairing) bool) (session.Pairing, error) {
	for {
		t.mu.Lock()
		if p, ok := t.getLocked(key); ok && done(p) {
			t.mu.Unlock()
			return p, nil
		}
		ch, ok := t.waiters[key]
		if !ok {
			ch = make(chan struct{})
			t.waiters[key] = ch
		}
		t.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return session.Pairing{}, ctx.Err()
		}
	}
}
