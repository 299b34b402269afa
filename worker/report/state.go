package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// Snapshot is a record as last read or written, with its KV revision. A
// session keeps its snapshot so most writes need no read first.
type Snapshot struct {
	Record   session.Record
	Revision uint64
}

// Load reads a session record. KV gets are answered by any replica, so a
// record written a moment ago may not be visible yet; "not found" is
// confirmed with the stream leader before it becomes ErrGone (a start
// command must not be dropped because its record was still on its way).
func (r *Reporter) Load(ctx context.Context, tenant, id string) (Snapshot, error) {
	key := subject.SessionKey(tenant, id)
	var (
		value []byte
		rev   uint64
	)
	e, err := r.cfg.Sessions.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		var found bool
		value, rev, found, err = r.leaderGet(ctx, subject.SessionsBucket, key)
		if err != nil {
			return Snapshot{}, fmt.Errorf("report: load %s/%s: %w", tenant, id, err)
		}
		if !found {
			return Snapshot{}, ErrGone
		}
	case err != nil:
		return Snapshot{}, fmt.Errorf("report: load %s/%s: %w", tenant, id, err)
	default:
		value, rev = e.Value(), e.Revision()
	}
	var rec session.Record
	if err := json.Unmarshal(value, &rec); err != nil {
		return Snapshot{}, fmt.Errorf("report: decode %s/%s: %w", tenant, id, err)
	}
	return Snapshot{Record: rec, Revision: rev}, nil
}

// errNoMessage is JetStream's "no message found" error code.
const errNoMessage = 10037

// leaderGet reads the last value of key in bucket from the stream leader
// (STREAM.MSG.GET, not a direct get). found is false when the key has no
// value or its last entry is a delete, purge or expiry marker.
func (r *Reporter) leaderGet(ctx context.Context, bucket, key string) (value []byte, rev uint64, found bool, err error) {
	req, err := json.Marshal(map[string]string{"last_by_subj": subject.KVSubject(bucket, key)})
	if err != nil {
		return nil, 0, false, err
	}
	msg, err := r.cfg.JS.Conn().RequestWithContext(ctx, subject.StreamMsgGet(subject.KVStream(bucket)), req)
	if err != nil {
		return nil, 0, false, err
	}
	var resp struct {
		Message *struct {
			Seq  uint64 `json:"seq"`
			Hdrs []byte `json:"hdrs"`
			Data []byte `json:"data"`
		} `json:"message"`
		Error *struct {
			ErrCode     int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return nil, 0, false, err
	}
	switch {
	case resp.Error != nil && resp.Error.ErrCode == errNoMessage:
		return nil, 0, false, nil
	case resp.Error != nil:
		return nil, 0, false, errors.New(resp.Error.Description)
	case resp.Message == nil:
		return nil, 0, false, errors.New("empty reply")
	}
	m := resp.Message
	if bytes.Contains(m.Hdrs, []byte("KV-Operation")) || bytes.Contains(m.Hdrs, []byte("Nats-Marker-Reason")) {
		return nil, 0, false, nil
	}
	return m.Data, m.Seq, true, nil
}

// UpdateState applies fn to the observed state of the record in snap and
// writes it with compare-and-set, stamping owner, epoch and times (StatusSince
// only when the status or the epoch changes). On a
// conflict it re-reads and re-applies fn. It refuses (ErrFenced) when the
// stored state carries a newer epoch than fence. On success snap holds the
// written record; the previous state is returned.
func (r *Reporter) UpdateState(ctx context.Context, fence Fence, snap *Snapshot, fn func(*session.State)) (session.State, error) {
	key := subject.SessionKey(snap.Record.Tenant, snap.Record.ID)
	for range maxCASAttempts {
		if snap.Revision == 0 {
			fresh, err := r.Load(ctx, snap.Record.Tenant, snap.Record.ID)
			if err != nil {
				return session.State{}, err
			}
			*snap = fresh
		}
		if snap.Record.State.Epoch > fence.Epoch {
			return session.State{}, ErrFenced
		}
		rec := snap.Record
		prev := rec.State
		fn(&rec.State)
		now := r.cfg.Now()
		rec.State.Owner, rec.State.Epoch, rec.State.UpdatedAt = fence.Owner, fence.Epoch, now
		// A new owner's state starts when it takes over, even if the status
		// word stays the same.
		if rec.State.Status != prev.Status || rec.State.StatusSince.IsZero() || prev.Epoch != fence.Epoch {
			rec.State.StatusSince = now
		}
		rec.UpdatedAt = now
		b, err := json.Marshal(rec)
		if err != nil {
			return session.State{}, fmt.Errorf("report: encode %s: %w", key, err)
		}
		rev, err := r.cfg.Sessions.Update(ctx, key, b, snap.Revision)
		if isConflict(err) {
			snap.Revision = 0 // re-read and re-apply
			continue
		} else if err != nil {
			return session.State{}, fmt.Errorf("report: write %s: %w", key, err)
		}
		*snap = Snapshot{Record: rec, Revision: rev}
		return prev, nil
	}
	return session.State{}, fmt.Errorf("%w: %s", ErrContended, key)
}

// DeleteSession removes the record, unless a newer epoch owns it. It is not
// an error when the record is already gone.
func (r *Reporter) DeleteSession(ctx context.Context, fence Fence, tenant, id string) error {
	key := subject.SessionKey(tenant, id)
	for range maxCASAttempts {
		snap, err := r.Load(ctx, tenant, id)
		if errors.Is(err, ErrGone) {
			return nil
		} else if err != nil {
			return err
		}
		if snap.Record.State.Epoch > fence.Epoch {
			return ErrFenced
		}
		err = r.cfg.Sessions.Delete(ctx, key, jetstream.LastRevision(snap.Revision))
		if isConflict(err) {
			continue
		} else if err != nil {
			return fmt.Errorf("report: delete %s: %w", key, err)
		}
		return nil
	}
	return fmt.Errorf("%w: %s", ErrContended, key)
}
