package mirror

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

var errWatchClosed = errors.New("mirror: watch closed")

// sessionEntry is one mirrored record. Entries are immutable once stored;
// a change replaces the pointer.
type sessionEntry struct {
	rec session.Record
	rev uint64
	// gone marks a record this api deleted itself (rollback), kept so that
	// the older watch delivery of it cannot bring it back.
	gone bool
}

func (e *sessionEntry) visible() bool {
	return !e.gone && e.rec.Desired != session.DesiredDeleted
}

// tenantIndex holds one tenant's visible records and a lazily sorted list.
type tenantIndex struct {
	byID   map[string]*sessionEntry
	sorted []*sessionEntry
	dirty  bool
}

// sessionTable mirrors wa_sessions.
type sessionTable struct {
	log   *zap.Logger
	codec session.Codec

	mu       sync.RWMutex
	byKey    map[string]*sessionEntry
	tenants  map[string]*tenantIndex
	watchRev uint64              // highest revision the watch delivered
	seen     map[string]struct{} // keys delivered during a resync; nil otherwise
}

func newSessionTable(log *zap.Logger, codec session.Codec) *sessionTable {
	return &sessionTable{log: log, codec: codec, byKey: map[string]*sessionEntry{}, tenants: map[string]*tenantIndex{}}
}

func (t *sessionTable) apply(e jetstream.KeyValueEntry) {
	key, rev := e.Key(), e.Revision()
	var next *sessionEntry
	if e.Operation() == jetstream.KeyValuePut {
		var rec session.Record
		if err := json.Unmarshal(e.Value(), &rec); err != nil {
			t.log.Warn("undecodable session record ignored", zap.String("key", key), zap.Uint64("revision", rev), zap.Error(err))
			return
		}
		// A record whose secrets do not open (no or wrong master key) is
		// still mirrored: its status matters, its sealed fields stay sealed.
		if err := t.codec.OpenConfig(rec.Tenant, rec.ID, &rec.Config); err != nil {
			t.log.Warn("session record secrets do not open", zap.String("key", key), zap.Uint64("revision", rev), zap.Error(err))
		}
		if subject.SessionKey(rec.Tenant, rec.ID) != key {
			t.log.Warn("session record under a foreign key ignored", zap.String("key", key), zap.Uint64("revision", rev))
			return
		}
		next = &sessionEntry{rec: rec, rev: rev}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.watchRev = max(t.watchRev, rev)
	if t.seen != nil {
		t.seen[key] = struct{}{}
	}
	if cur := t.byKey[key]; cur != nil && cur.rev >= rev {
		return // this api already stored a newer revision
	}
	if next == nil {
		t.removeLocked(key)
		return
	}
	t.setLocked(key, next)
}

func (t *sessionTable) beginResync() {
	t.mu.Lock()
	t.seen = map[string]struct{}{}
	t.mu.Unlock()
}

func (t *sessionTable) endResync() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for key, e := range t.byKey {
		if _, ok := t.seen[key]; !ok && e.rev <= t.watchRev {
			t.removeLocked(key)
		}
	}
	t.seen = nil
}

// put stores a record this api just wrote at rev, unless the mirror already
// holds that revision or a newer one.
func (t *sessionTable) put(rec session.Record, rev uint64) {
	key := subject.SessionKey(rec.Tenant, rec.ID)
	t.mu.Lock()
	defer t.mu.Unlock()
	if rev <= t.watchRev {
		return // the watch delivered rev, or a later revision of the key
	}
	if cur := t.byKey[key]; cur != nil && cur.rev >= rev {
		return
	}
	t.setLocked(key, &sessionEntry{rec: rec, rev: rev})
}

// forget hides the record at key if it is still at rev (this api deleted it).
func (t *sessionTable) forget(key string, rev uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cur := t.byKey[key]; cur != nil && cur.rev == rev {
		t.setLocked(key, &sessionEntry{rec: cur.rec, rev: rev, gone: true})
	}
}

func (t *sessionTable) setLocked(key string, e *sessionEntry) {
	t.byKey[key] = e
	idx := t.tenants[e.rec.Tenant]
	if idx == nil {
		idx = &tenantIndex{byID: map[string]*sessionEntry{}}
		t.tenants[e.rec.Tenant] = idx
	}
	prev := idx.byID[e.rec.ID]
	if !e.visible() {
		delete(idx.byID, e.rec.ID)
		idx.dirty = true
		return
	}
	idx.byID[e.rec.ID] = e
	// A new revision of a listed record (a status change, mostly) keeps its
	// place: swap it in, so a restart's thousands of writes do not re-sort
	// the tenant for every page read in between.
	if prev == nil || idx.dirty || !prev.rec.CreatedAt.Equal(e.rec.CreatedAt) || !idx.swapSorted(prev, e) {
		idx.dirty = true
	}
}

// swapSorted replaces prev by next in the sorted list, where they sort
// alike; it reports false when prev is not there.
func (idx *tenantIndex) swapSorted(prev, next *sessionEntry) bool {
	i, ok := slices.BinarySearchFunc(idx.sorted, prev, compareEntries)
	if !ok || idx.sorted[i] != prev {
		return false
	}
	idx.sorted[i] = next
	return true
}

func (t *sessionTable) removeLocked(key string) {
	cur := t.byKey[key]
	if cur == nil {
		return
	}
	delete(t.byKey, key)
	if idx := t.tenants[cur.rec.Tenant]; idx != nil {
		delete(idx.byID, cur.rec.ID)
		idx.dirty = true
	}
}

// get returns the entry at key, visible or not.
func (t *sessionTable) get(key string) (*sessionEntry, bool) {
	t.mu.RLock()
	e, ok := t.byKey[key]
	t.mu.RUnlock()
	return e, ok
}

// page returns a tenant's visible records sorted by creation time then id.
func (t *sessionTable) page(tenant string, offset, limit int) ([]session.Record, int) {
	t.mu.RLock()
	idx := t.tenants[tenant]
	if idx == nil {
		t.mu.RUnlock()
		return nil, 0
	}
	if idx.dirty {
		t.mu.RUnlock()
		t.mu.Lock()
		if idx.dirty {
			idx.sorted = sortEntries(idx.byID)
			idx.dirty = false
		}
		t.mu.Unlock()
		t.mu.RLock()
	}
	defer t.mu.RUnlock()
	// Another writer may have dirtied the index between the locks; the
	// sorted slice is still a consistent, if slightly older, snapshot.
	all := idx.sorted
	total := len(all)
	if offset >= total {
		return []session.Record{}, total
	}
	end := min(total, offset+limit)
	out := make([]session.Record, 0, end-offset)
	for _, e := range all[offset:end] {
		out = append(out, e.rec)
	}
	return out, total
}

func sortEntries(m map[string]*sessionEntry) []*sessionEntry {
	out := make([]*sessionEntry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	slices.SortFunc(out, compareEntries)
	return out
}

// compareEntries orders records by creation time, then id.
func compareEntries(a, b *sessionEntry) int {
	if c := a.rec.CreatedAt.Compare(b.rec.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.rec.ID, b.rec.ID)
}

// nameTaken reports whether a visible record of tenant other than id has name.
func (t *sessionTable) nameTaken(tenant, name, id string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	idx := t.tenants[tenant]
	if idx == nil {
		return false
	}
	for _, e := range idx.byID {
		if e.rec.Config.Name == name && e.rec.ID != id {
			return true
		}
	}
	return false
}
