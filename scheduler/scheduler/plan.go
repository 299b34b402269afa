package scheduler

import (
	"time"

	"github.com/switchboard-gw/switchboard/scheduler/health"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// outMsg is one command or event to publish, with the book write that must
// follow its acknowledgement.
type outMsg struct {
	subject string
	id      string
	body    []byte

	action health.Action
	reason health.Reason
	book   bookWrite
	// orphan marks a shard audit event.
	orphan bool
}

// bookWrite stores or deletes one session's restart book.
type bookWrite struct {
	key   string // session key <tenant>.<session>; "" for none
	write health.Write
	book  health.Book
}

// plan is what a sweep will do, decided before any of it is done.
type plan struct {
	msgs  []outMsg
	books []bookWrite
	res   SweepResult
}

// makePlan decides about every session and shard of snap.
func (s *Scheduler) makePlan(snap *snapshot, sweep string, now time.Time) (*plan, error) {
	p := &plan{res: SweepResult{SweepID: sweep, Checked: len(snap.records), Undecodable: snap.undecodable}}
	seen := make(map[string]bool, len(snap.books))
	for _, rec := range snap.records {
		key := subject.SessionKey(rec.Tenant, rec.ID)
		book, hasBook := snap.books[key]
		if hasBook {
			seen[key] = true
		}
		v := health.Decide(s.rules, health.Input{
			Record: rec, Book: book, Now: now, Sweep: sweep,
			OwnerLive: snap.members[rec.State.Owner], WorkersLive: snap.workersLive,
			VouchedAt: snap.vouchedAt(rec, s.cfg.Shards),
		})
		bw := bookWrite{key: key, write: v.Write, book: v.Book}
		m, err := s.message(sweep, rec, v, now)
		if err != nil {
			return nil, err
		}
		switch {
		case m != nil:
			m.action, m.reason, m.book = v.Action, v.Reason, bw
			p.msgs = append(p.msgs, *m)
		case v.Write != health.Keep:
			p.books = append(p.books, bw)
		}
		switch v.Action {
		case health.Backoff:
			p.res.BackingOff++
		case health.Defer:
			p.res.Deferred++
		}
	}
	// Books of sessions that no longer exist.
	for key := range snap.books {
		if !seen[key] {
			p.books = append(p.books, bookWrite{key: key, write: health.Delete})
		}
	}
	for shard := range s.cfg.Shards {
		if !snap.leases[subject.LeaseKey(shard)] {
			m, err := orphanEvent(sweep, shard, s.cfg.Shards, now)
			if err != nil {
				return nil, err
			}
			m.orphan = true
			p.msgs = append(p.msgs, m)
		}
	}
	return p, nil
}

// message is the command or event a verdict publishes, if any.
func (s *Scheduler) message(sweep string, rec session.Record, v health.Verdict, now time.Time) (*outMsg, error) {
	var (
		m   outMsg
		err error
	)
	switch v.Action {
	case health.Restart:
		m, err = restartCommand(sweep, rec, v, s.cfg.MaxAttempts, now)
	case health.GiveUp:
		m, err = givenUpEvent(rec, v, now)
	case health.LoggedOut:
		m, err = loggedOutEvent(rec, v, now)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}
