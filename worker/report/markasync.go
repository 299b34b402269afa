package report

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// markWindow is how many state writes (and then status events) one
// MarkConnecting call has in flight at once as async publishes. A worker
// stopping releases every shard at once, so the worker-wide total stays
// under the client's own limit of 4,000 pending publishes for 64 shards.
const markWindow = 48

// markPending is one async compare-and-set write of MarkConnecting.
type markPending struct {
	snap *Snapshot
	rec  session.Record
	prev session.State
	fut  jetstream.PubAckFuture
}

// markAsync writes status STARTING with reason on snaps (each with a known
// revision and not fenced) as async compare-and-set publishes, a window at
// a time, and publishes the status events of the ones written the same way,
// awaiting each window once. It returns how many were written and the
// snapshots left for the read-and-retry path: a lost compare-and-set, a
// publish refused or unanswered before ctx ends.
func (r *Reporter) markAsync(ctx context.Context, fence Fence, snaps []*Snapshot, reason string) (written int, retry []*Snapshot) {
	set := func(x *session.State) { x.Status, x.LastError = session.StatusStarting, reason }
	for lo := 0; lo < len(snaps); lo += markWindow {
		window := snaps[lo:min(lo+markWindow, len(snaps))]
		if ctx.Err() != nil {
			return written, append(retry, snaps[lo:]...)
		}
		pending := make([]markPending, 0, len(window))
		for _, snap := range window {
			if snap.Revision == 0 || snap.Record.State.Epoch > fence.Epoch {
				retry = append(retry, snap)
				continue
			}
			rec, prev, b, err := r.next(fence, snap, set)
			if err != nil {
				retry = append(retry, snap)
				continue
			}
			msg := nats.NewMsg(subject.KVSubject(r.cfg.Sessions.Bucket(), subject.SessionKey(rec.Tenant, rec.ID)))
			msg.Data = b
			fut, err := r.cfg.JS.PublishMsgAsync(msg, jetstream.WithExpectLastSequencePerSubject(snap.Revision))
			if err != nil {
				retry = append(retry, snap)
				continue
			}
			pending = append(pending, markPending{snap: snap, rec: rec, prev: prev, fut: fut})
		}
		var events []jetstream.PubAckFuture
		for _, p := range pending {
			select {
			case ack := <-p.fut.Ok():
				*p.snap = Snapshot{Record: p.rec, Revision: ack.Sequence}
				written++
				if p.prev.Status == session.StatusStarting {
					continue
				}
				if f, err := r.publishStatusAsync(p.snap, p.prev, reason); err != nil {
					r.log.Debug("status event not published", zap.Error(err))
				} else {
					events = append(events, f)
				}
			case <-p.fut.Err():
				retry = append(retry, p.snap)
			case <-ctx.Done():
				retry = append(retry, p.snap)
			}
		}
		for _, f := range events {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				r.log.Debug("status event not published", zap.Error(err))
			case <-ctx.Done():
			}
		}
	}
	return written, retry
}

// publishStatusAsync publishes the status event of a state write as an
// async publish.
func (r *Reporter) publishStatusAsync(snap *Snapshot, prev session.State, reason string) (jetstream.PubAckFuture, error) {
	rec := snap.Record
	id := EventID(rec.Tenant, rec.ID, event.StatusChanged, strconv.FormatUint(snap.Revision, 10))
	raw, err := json.Marshal(event.Status{Status: string(session.StatusStarting), Previous: string(prev.Status), LastError: reason})
	if err != nil {
		return nil, fmt.Errorf("report: encode %s data: %w", event.StatusChanged, err)
	}
	b, err := json.Marshal(event.Envelope{ID: id, Type: event.StatusChanged, Tenant: rec.Tenant, Session: rec.ID, Time: r.cfg.Now(), Data: raw})
	if err != nil {
		return nil, fmt.Errorf("report: encode %s: %w", event.StatusChanged, err)
	}
	return r.cfg.JS.PublishAsync(subject.Event(rec.Tenant, rec.ID, string(event.StatusChanged)), b, jetstream.WithMsgID(id))
}

// next is the record of snap with fn applied and owner, epoch and times
// stamped, encoded; prev is the state it replaces.
func (r *Reporter) next(fence Fence, snap *Snapshot, fn func(*session.State)) (rec session.Record, prev session.State, b []byte, err error) {
	rec = snap.Record
	prev = rec.State
	fn(&rec.State)
	now := r.cfg.Now()
	rec.State.Owner, rec.State.Epoch, rec.State.UpdatedAt = fence.Owner, fence.Epoch, now
	// A new owner's state starts when it takes over, even if the status
	// word stays the same.
	if rec.State.Status != prev.Status || rec.State.StatusSince.IsZero() || prev.Epoch != fence.Epoch {
		rec.State.StatusSince = now
	}
	rec.UpdatedAt = now
	b, err = json.Marshal(rec)
	if err != nil {
		return rec, prev, nil, fmt.Errorf("report: encode %s: %w", subject.SessionKey(rec.Tenant, rec.ID), err)
	}
	return rec, prev, b, nil
}
