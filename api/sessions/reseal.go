package sessions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/session"
)

// Reseal rewrites every session record whose secret fields are plaintext
// (written before a master key was set) or sealed with a previous master
// key, so a key rotation completes and the previous key can be dropped. It
// changes nothing else in the record (not even updated_at) and returns how
// many records it rewrote. Without a master key it does nothing. Several api
// processes may run it at once: each rewrite is a compare-and-set.
//
// The records are read in one pass (a KV watch of the current values), not
// a key listing and a read per record: the standalone runs this at every
// start, while its worker logs thousands of sessions in again, and ten
// thousand sequential reads then took long enough for one to time out and
// fail the start. Only the records that need it are read again and
// rewritten.
func (s *Service) Reseal(ctx context.Context) (int, error) {
	if !s.cfg.Codec.Box.Enabled() {
		return 0, nil
	}
	w, err := s.cfg.Sessions.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return 0, fmt.Errorf("sessions: reseal: %w", err)
	}
	defer func() { _ = w.Stop() }()
	var stale []string
	for caughtUp := false; !caughtUp; {
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("sessions: reseal: %w", ctx.Err())
		case e, ok := <-w.Updates():
			switch {
			case !ok:
				return 0, errors.New("sessions: reseal: watch ended early")
			case e == nil:
				caughtUp = true // every current value seen
			default:
				var raw session.Record
				if json.Unmarshal(e.Value(), &raw) == nil && s.cfg.Codec.NeedsReseal(raw) {
					stale = append(stale, e.Key())
				}
			}
		}
	}
	n := 0
	for _, key := range stale {
		done, err := s.resealOne(ctx, key)
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

// resealOne reseals one record, re-reading it after a concurrent write.
func (s *Service) resealOne(ctx context.Context, key string) (bool, error) {
	for attempt := 1; ; attempt++ {
		entry, err := s.cfg.Sessions.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			return false, nil
		} else if err != nil {
			return false, fmt.Errorf("sessions: reseal %s: %w", key, err)
		}
		var raw session.Record
		if json.Unmarshal(entry.Value(), &raw) != nil || !s.cfg.Codec.NeedsReseal(raw) {
			return false, nil
		}
		rec, err := s.cfg.Codec.Decode(entry.Value())
		if err != nil {
			return false, fmt.Errorf("sessions: reseal %s: %w", key, err)
		}
		body, err := s.cfg.Codec.Encode(rec)
		if err != nil {
			return false, fmt.Errorf("sessions: reseal %s: %w", key, err)
		}
		_, err = s.cfg.Sessions.Update(ctx, key, body, entry.Revision())
		if isConflict(err) && attempt < maxCASAttempts {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("sessions: reseal %s: %w", key, err)
		}
		return true, nil
	}
}
