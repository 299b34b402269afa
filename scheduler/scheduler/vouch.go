package scheduler

import (
	"time"

	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/shard"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// vouch is one shard liveness record, indexed for lookups.
type vouch struct {
	owner string
	epoch uint64
	at    time.Time
	stale map[string]bool
}

func newVouch(l session.ShardLiveness) vouch {
	v := vouch{owner: l.Owner, epoch: l.Epoch, at: l.At}
	if len(l.Stale) > 0 {
		v.stale = make(map[string]bool, len(l.Stale))
		for _, k := range l.Stale {
			v.stale[k] = true
		}
	}
	return v
}

// vouchedAt is when the liveness record of rec's shard last vouched for
// rec's socket: the record must come from the owner and epoch rec was
// written under and must not list rec as stale.
func (snap *snapshot) vouchedAt(rec session.Record, shards int) time.Time {
	if rec.State.Status != session.StatusWorking || rec.State.Owner == "" {
		return time.Time{}
	}
	v, ok := snap.liveness[subject.LeaseKey(shard.Of(rec.Tenant, rec.ID, shards))]
	if !ok || v.owner != rec.State.Owner || v.epoch != rec.State.Epoch || v.stale[subject.SessionKey(rec.Tenant, rec.ID)] {
		return time.Time{}
	}
	return v.at
}
