package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/scheduler/health"
)

// SweepResult is what one sweep saw and did.
type SweepResult struct {
	// SweepID is the id of the tick (see SweepID).
	SweepID string
	// Skipped means the tick was already handled; nothing else was done.
	Skipped bool
	// Checked counts the session records read.
	Checked int
	// Undecodable counts session values that are not records.
	Undecodable int
	// Restarted counts restart commands newly published.
	Restarted int
	// GivenUp counts sessions the scheduler stopped restarting.
	GivenUp int
	// LoggedOut counts logouts reported.
	LoggedOut int
	// Orphans counts shards without a lease holder.
	Orphans int
	// BackingOff counts sessions that need a restart but wait for backoff.
	BackingOff int
	// Deferred counts restarts postponed because no worker is live.
	Deferred int
	// Duplicates counts messages the stream already had (a re-run tick).
	Duplicates int
	// Errors counts failed publishes and book writes.
	Errors int
	// Duration is how long the sweep took.
	Duration time.Duration
}

// sweep runs the sweep of the interval starting at at: claim the tick, read
// everything, decide, publish, then record the books.
func (s *Scheduler) sweep(ctx context.Context, at time.Time) (SweepResult, error) {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	start := time.Now()
	id := SweepID(at)
	res, err := s.runSweep(ctx, at, id)
	res.SweepID, res.Duration = id, time.Since(start)
	s.metrics.observe(res, err)
	switch {
	case err != nil:
		return res, err
	case res.Skipped:
		s.log.Debug("sweep skipped", zap.String("sweep", id))
	default:
		s.log.Info("sweep done", resultFields(res)...)
	}
	if s.onSweep != nil {
		s.onSweep(res)
	}
	return res, nil
}

func (s *Scheduler) runSweep(ctx context.Context, at time.Time, id string) (SweepResult, error) {
	state, err := s.stateKV(ctx)
	if err != nil {
		return SweepResult{}, err
	}
	claimed, err := s.claim(ctx, state, at, id)
	if err != nil || !claimed {
		return SweepResult{Skipped: !claimed}, err
	}
	snap, err := s.takeSnapshot(ctx, state)
	if err != nil {
		return SweepResult{}, err
	}
	p, err := s.makePlan(snap, id, s.now())
	if err != nil {
		return SweepResult{}, err
	}
	acks, err := publishAll(ctx, s.js, p.msgs)
	if err != nil {
		return p.res, err
	}
	res := p.res
	books := p.books
	var firstErr error
	for i, m := range p.msgs {
		a := acks[i]
		switch {
		case a.err != nil:
			res.Errors++
			firstErr = cmpErr(firstErr, a.err)
			continue
		case a.duplicate:
			res.Duplicates++
		default:
			res.count(m)
		}
		if m.book.write != health.Keep {
			books = append(books, m.book)
		}
	}
	failed, err := writeBooks(ctx, state, books)
	res.Errors += failed
	firstErr = cmpErr(firstErr, err)
	if firstErr != nil {
		// Handled here, not returned: the sweep did its work, and the next
		// one retries whatever failed.
		s.log.Warn("sweep partly failed", zap.String("sweep", id), zap.Int("errors", res.Errors), zap.Error(firstErr))
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("scheduler: sweep %s: %w", id, ctx.Err())
	}
	return res, nil
}

// count adds one acknowledged message to the result.
func (r *SweepResult) count(m outMsg) {
	switch {
	case m.orphan:
		r.Orphans++
	case m.action == health.Restart:
		r.Restarted++
	case m.action == health.GiveUp:
		r.GivenUp++
	case m.action == health.LoggedOut:
		r.LoggedOut++
	}
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func resultFields(r SweepResult) []zap.Field {
	return []zap.Field{
		zap.String("sweep", r.SweepID), zap.Int("checked", r.Checked), zap.Int("restarted", r.Restarted),
		zap.Int("given_up", r.GivenUp), zap.Int("logged_out", r.LoggedOut), zap.Int("orphans", r.Orphans),
		zap.Int("backing_off", r.BackingOff), zap.Int("deferred", r.Deferred), zap.Int("duplicates", r.Duplicates),
		zap.Int("undecodable", r.Undecodable), zap.Int("errors", r.Errors), zap.Duration("duration", r.Duration),
	}
}

func encodeBook(b health.Book) ([]byte, error) {
	body, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("scheduler: encode book: %w", err)
	}
	return body, nil
}
