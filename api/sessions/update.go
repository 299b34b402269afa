package sessions

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// mutation changes a record in place and reports whether it changed.
type mutation func(rec *session.Record) (changed bool, err error)

// update reads tenant's session id from KV, applies mutate and writes it
// back with compare-and-set, re-reading and retrying on a conflict (the
// worker rewrites State concurrently). It returns the record as stored and
// puts it into the mirror so the caller's next read sees it. A record being
// deleted is not found unless allowDeleted.
func (s *Service) update(ctx context.Context, tenant, id string, allowDeleted bool, mutate mutation) (session.Record, error) {
	key := subject.SessionKey(tenant, id)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		entry, err := s.cfg.Sessions.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			return session.Record{}, ErrNotFound
		}
		if err != nil {
			return session.Record{}, s.natsErr("get session", err)
		}
		rec, err := s.cfg.Codec.Decode(entry.Value())
		if err != nil {
			return session.Record{}, fmt.Errorf("sessions: decode record %s: %w", key, err)
		}
		if rec.Desired == session.DesiredDeleted && !allowDeleted {
			return session.Record{}, ErrNotFound
		}
		changed, err := mutate(&rec)
		if err != nil {
			return session.Record{}, err
		}
		if !changed {
			s.cfg.Mirror.Put(rec, entry.Revision())
			return rec, nil
		}
		rec.UpdatedAt = s.now()
		body, err := s.cfg.Codec.Encode(rec)
		if err != nil {
			return session.Record{}, fmt.Errorf("sessions: %w", err)
		}
		rev, err := s.cfg.Sessions.Update(ctx, key, body, entry.Revision())
		if isConflict(err) && attempt < maxCASAttempts {
			if err := backoff(ctx, attempt); err != nil {
				return session.Record{}, s.natsErr("update session", err)
			}
			continue
		}
		if err != nil {
			return session.Record{}, s.natsErr("update session", err)
		}
		s.cfg.Mirror.Put(rec, rev)
		return rec, nil
	}
}

// setDesired is a mutation that sets the desired state.
func setDesired(d session.Desired) mutation {
	return func(rec *session.Record) (bool, error) {
		if rec.Desired == d {
			return false, nil
		}
		rec.Desired = d
		return true, nil
	}
}

// unchanged is a mutation that only checks the record exists.
func unchanged(*session.Record) (bool, error) { return false, nil }

// backoff waits a random 0..attempt×casBackoff before a CAS retry, so an
// api and a worker that keep writing the same record do not stay in
// lockstep, both reading the same revision and the api always losing.
func backoff(ctx context.Context, attempt int) error {
	t := time.NewTimer(rand.N(time.Duration(attempt) * casBackoff))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func isConflict(err error) bool {
	return errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists)
}
