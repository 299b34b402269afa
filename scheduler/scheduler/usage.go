package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/go-co-op/gocron/v2"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/scheduler/usage"
)

// usageSettle is how long after a period's end its usage is computed, so
// that events of its last moments are in the stream.
func (s *Scheduler) usageSettle() time.Duration {
	return min(30*time.Second, s.cfg.UsageInterval/10)
}

// addUsageJob schedules the usage report on every UsageInterval boundary
// (plus the settle time); gocron runs it only on the leader.
func (s *Scheduler) addUsageJob(ctx context.Context, c gocron.Scheduler) error {
	first := usageBoundary(time.Now(), s.cfg.UsageInterval).Add(s.cfg.UsageInterval + s.usageSettle())
	if _, err := c.NewJob(gocron.DurationJob(s.cfg.UsageInterval), gocron.NewTask(s.usageTick),
		gocron.WithName("usage"),
		gocron.WithContext(ctx),
		gocron.WithSingletonMode(gocron.LimitModeReschedule),
		gocron.WithStartAt(gocron.WithStartDateTimePast(first)),
	); err != nil {
		return fmt.Errorf("scheduler: usage job: %w", err)
	}
	return nil
}

func (s *Scheduler) usageTick(context.Context) {
	ctx, ok := s.leader.context()
	if !ok {
		return
	}
	end := usageBoundary(time.Now().Add(-s.usageSettle()), s.cfg.UsageInterval)
	if _, err := s.ReportUsage(ctx, end.Add(-s.cfg.UsageInterval), end); err != nil && ctx.Err() == nil {
		s.log.Error("usage report failed", zap.Error(err))
	}
}

// ReportUsage computes and publishes the usage of [start, end) unless it
// was published already; it returns the reports it published.
func (s *Scheduler) ReportUsage(ctx context.Context, start, end time.Time) ([]usage.Report, error) {
	state, err := s.stateKV(ctx)
	if err != nil {
		return nil, err
	}
	done, err := usage.Published(ctx, state, end)
	if err != nil || done {
		return nil, err
	}
	recs, _, err := readRecords(ctx, s.b.Sessions)
	if err != nil {
		return nil, fmt.Errorf("scheduler: usage: %w", err)
	}
	reports, err := usage.Compute(ctx, s.js, recs, start, end)
	if err != nil {
		return nil, err
	}
	if err := usage.Publish(ctx, s.js, state, reports, end); err != nil {
		return nil, err
	}
	s.log.Info("usage reported", zap.Time("period_start", start), zap.Time("period_end", end), zap.Int("tenants", len(reports)))
	return reports, nil
}

// usageBoundary is the start of the usage interval holding t (unix-aligned).
func usageBoundary(t time.Time, iv time.Duration) time.Time {
	n := t.UnixNano()
	return time.Unix(0, n-n%int64(iv)).UTC()
}
