// Package scheduler runs Switchboard's singleton work: replicas elect a
// leader through a KV lease, and the leader sweeps every session on a fixed
// interval, restarting the ones that fell over, reporting logouts and
// auditing shards without an owner.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/scheduler/health"
	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/lease"
	"github.com/switchboard-gw/switchboard/shared/ops"
)

// Scheduler is one scheduler replica. Every replica runs the sweep job on
// the same interval boundaries; only the holder of the leader lease sweeps.
type Scheduler struct {
	cfg     Config
	rules   health.Rules
	js      jetstream.JetStream
	b       *bus.Buckets
	log     *zap.Logger
	metrics *metrics
	// now is the clock decisions are measured against (tests replace it).
	now func() time.Time
	// onSweep, when set, sees every sweep result (tests).
	onSweep func(SweepResult)

	stateMu sync.Mutex
	state   jetstream.KeyValue

	// sweepMu serialises sweeps; losing the lease waits on it.
	sweepMu sync.Mutex

	// started is true between Start and Stop (readiness).
	started atomic.Bool

	leader *leader
	keeper *lease.Keeper
	cron   gocron.Scheduler
	cancel context.CancelFunc
}

// New returns a scheduler; Start joins the leader election.
func New(cfg Config, js jetstream.JetStream, b *bus.Buckets, log *zap.Logger) (*Scheduler, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if js == nil || b == nil || b.Sessions == nil || b.Leases == nil || b.Liveness == nil || b.Workers == nil || b.Sched == nil {
		return nil, errors.New("scheduler: jetstream and the Sessions, Leases, Liveness, Workers and Sched buckets are required")
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	return &Scheduler{
		cfg:     cfg,
		rules:   cfg.rules(),
		js:      js,
		b:       b,
		log:     log.Named("scheduler").With(zap.String("scheduler", cfg.ID)),
		metrics: m,
		now:     time.Now,
	}, nil
}

// Start creates the state bucket, joins the leader election and schedules
// the sweep on every interval boundary (unix time multiple of Interval), so
// that all replicas tick together and a tick has the same id everywhere.
func (s *Scheduler) Start(ctx context.Context) error {
	if _, err := s.stateKV(ctx); err != nil {
		return err
	}
	st, err := s.b.Sched.Status(ctx)
	if err != nil {
		return fmt.Errorf("scheduler: leader bucket status: %w", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	s.leader = newLeader(runCtx, &s.sweepMu, s.metrics, s.log)
	// The lease TTL must equal the bucket's: read it rather than assume it.
	s.keeper, err = lease.NewKeeper(lease.KeeperConfig{
		KV: s.b.Sched, Key: leaderKey, Holder: s.cfg.ID, TTL: st.TTL(),
		OnAcquired: s.leader.acquired, OnLost: s.leader.lost,
	}, s.log)
	if err != nil {
		cancel()
		return fmt.Errorf("scheduler: leader lease: %w", err)
	}
	s.cron, err = s.newCron(runCtx)
	if err != nil {
		cancel()
		return err
	}
	s.cancel = cancel
	s.keeper.Start(runCtx)
	s.cron.Start()
	s.started.Store(true)
	s.log.Info("scheduler started", zap.Duration("interval", s.cfg.Interval), zap.Duration("lease_ttl", st.TTL()))
	return nil
}

func (s *Scheduler) newCron(ctx context.Context) (gocron.Scheduler, error) {
	c, err := gocron.NewScheduler(gocron.WithDistributedElector(s.leader), gocron.WithLocation(time.UTC))
	if err != nil {
		return nil, fmt.Errorf("scheduler: cron: %w", err)
	}
	first := s.boundary(time.Now()).Add(s.cfg.Interval)
	if _, err := c.NewJob(gocron.DurationJob(s.cfg.Interval), gocron.NewTask(s.tick),
		gocron.WithName("sweep"),
		gocron.WithContext(ctx),
		gocron.WithSingletonMode(gocron.LimitModeReschedule),
		gocron.WithStartAt(gocron.WithStartDateTimePast(first)),
	); err != nil {
		_ = c.Shutdown()
		return nil, fmt.Errorf("scheduler: sweep job: %w", err)
	}
	if err := s.addUsageJob(ctx, c); err != nil {
		_ = c.Shutdown()
		return nil, err
	}
	return c, nil
}

// Stop gives up leadership (waiting for a running sweep to stop, then
// releasing the lease so another replica takes over at once) and stops the
// sweep job.
func (s *Scheduler) Stop(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.started.Store(false)
	var errs []error
	if err := s.keeper.Stop(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := s.cron.ShutdownWithContext(ctx); err != nil {
		errs = append(errs, fmt.Errorf("scheduler: stop cron: %w", err))
	}
	s.cancel()
	return errors.Join(errs...)
}

// SweepNow runs the sweep of the current interval at once, whether or not
// this replica leads. It shares the tick's sweep id, so if that tick was
// already handled (here or by the leader) it is skipped and the result says
// so.
func (s *Scheduler) SweepNow(ctx context.Context) (SweepResult, error) {
	return s.sweep(ctx, s.boundary(s.now()))
}

// Leader reports whether this replica holds the leader lease.
func (s *Scheduler) Leader() bool {
	if s.keeper == nil {
		return false
	}
	_, held := s.keeper.Held()
	return held
}

// Checks are the scheduler's readiness checks: the bus, and the scheduler
// started (leading or standing by: both are ready).
func (s *Scheduler) Checks(nc *nats.Conn) []ops.Check {
	return append(ops.BusChecks(nc, s.js, s.b), ops.Func(CheckScheduler, func() error {
		if !s.started.Load() {
			return errors.New("scheduler not running")
		}
		return nil
	}))
}

// CheckScheduler names the scheduler's own readiness check.
const CheckScheduler = "scheduler"

// Registry returns the scheduler's Prometheus registry.
func (s *Scheduler) Registry() *prometheus.Registry { return s.metrics.reg }

// MetricsHandler serves the scheduler's metrics in the Prometheus format.
func (s *Scheduler) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})
}

// tick is the scheduled job; gocron runs it only while the elector (the
// leader lease) says this replica leads.
func (s *Scheduler) tick(context.Context) {
	ctx, ok := s.leader.context()
	if !ok {
		return
	}
	// The job fires at (or just after) the boundary it was scheduled for.
	if _, err := s.sweep(ctx, s.boundary(time.Now())); err != nil && ctx.Err() == nil {
		s.log.Error("sweep failed", zap.Error(err))
	}
}

// boundary is the start of the interval holding t, in unix time.
func (s *Scheduler) boundary(t time.Time) time.Time {
	n, iv := t.UnixNano(), int64(s.cfg.Interval)
	return time.Unix(0, n-n%iv).UTC()
}

// SweepID names the sweep of the interval starting at at.
func SweepID(at time.Time) string {
	return "sweep-" + strconv.FormatInt(at.Unix(), 10)
}
