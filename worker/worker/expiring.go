package worker

import (
	"sync"
	"time"
)

// expiring is a small answer cache that is emptied a fixed time after its
// first entry and starts over when full: for answers that other sessions
// sharing the database may make stale (the LID map), so they are kept for
// a bounded time. Safe for concurrent use; the zero value is empty.
type expiring[K comparable, V any] struct {
	ttl time.Duration
	max int

	mu    sync.Mutex
	m     map[K]V
	since time.Time
}

func newExpiring[K comparable, V any](ttl time.Duration, max int) *expiring[K, V] {
	return &expiring[K, V]{ttl: ttl, max: max}
}

func (e *expiring[K, V]) get(k K) (V, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if time.Since(e.since) > e.ttl {
		e.m = nil
	}
	v, ok := e.m[k]
	return v, ok
}

func (e *expiring[K, V]) put(k K, v V) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil || len(e.m) >= e.max || time.Since(e.since) > e.ttl {
		e.m, e.since = make(map[K]V), time.Now()
	}
	e.m[k] = v
}

func (e *expiring[K, V]) drop(k K) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, k)
}

func (e *expiring[K, V]) clear() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m = nil
}
