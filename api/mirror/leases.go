package mirror

import (
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/lease"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/shard"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// holder is who holds a shard lease, and since which epoch.
type holder struct {
	id    string
	epoch uint64
}

// leaseTable mirrors wa_shard_leases: the holder of each shard. The bucket
// keeps limit markers, so an expired lease (a crashed worker) reaches the
// watch as a delete at once.
type leaseTable struct {
	mu      sync.RWMutex
	byShard map[int]holder
	seen    map[int]struct{} // shards delivered during a resync; nil otherwise
}

func newLeaseTable() *leaseTable { return &leaseTable{byShard: map[int]holder{}} }

func (t *leaseTable) apply(e jetstream.KeyValueEntry) {
	p, ok := subject.LeaseShard(e.Key())
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen != nil {
		t.seen[p] = struct{}{}
	}
	if e.Operation() != jetstream.KeyValuePut {
		delete(t.byShard, p)
		return
	}
	id, epoch := lease.ParseValue(e.Value(), e.Revision())
	t.byShard[p] = holder{id: id, epoch: epoch}
}

func (t *leaseTable) beginResync() {
	t.mu.Lock()
	t.seen = map[int]struct{}{}
	t.mu.Unlock()
}

func (t *leaseTable) endResync() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for p := range t.byShard {
		if _, ok := t.seen[p]; !ok {
			delete(t.byShard, p)
		}
	}
	t.seen = nil
}

func (t *leaseTable) get(p int) (holder, bool) {
	t.mu.RLock()
	h, ok := t.byShard[p]
	t.mu.RUnlock()
	return h, ok
}

// claimsConnection reports a status that only a live owner can vouch for:
// a socket up, logged in or showing a code to scan.
func claimsConnection(s session.Status) bool {
	switch s {
	case session.StatusWorking, session.StatusConnected, session.StatusScanQR, session.StatusPairCode:
		return true
	}
	return false
}

// truthful returns rec as the api may show it: a record claiming a
// connection is believed only while its owner holds the shard's lease at
// the epoch the record was written under. Otherwise nobody holds the
// session (its worker died, or stopped without saying so), or a new owner
// took it and has not reported yet: it reads STARTING (connecting) if it
// should run, STOPPED if not. No write from the dead owner is needed.
func (m *Mirror) truthful(rec session.Record) session.Record {
	st := rec.State
	// A record without an owner was never written by a worker (every
	// worker write stamps owner and epoch): there is no lease to check.
	if !claimsConnection(st.Status) || st.Owner == "" {
		return rec
	}
	h, ok := m.leases.get(shard.Of(rec.Tenant, rec.ID, m.cfg.Shards))
	if ok && h.id == st.Owner && h.epoch == st.Epoch {
		return rec
	}
	if rec.Desired == session.DesiredRunning {
		rec.State.Status = session.StatusStarting
	} else {
		rec.State.Status = session.StatusStopped
	}
	return rec
}
