package scheduler

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-gw/switchboard/scheduler/health"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/shard"
)

// Keys in the scheduler buckets.
const (
	// leaderKey is the leader lease in the shared wa_scheduler bucket.
	leaderKey = "leader"
	// lastSweepKey records the last claimed sweep in subject.SchedulerStateBucket.
	lastSweepKey = "sweep.last"
	// bookPrefix starts the restart book keys: restart.<tenant>.<session>.
	bookPrefix = "restart."
)

// LivenessPeriod is the contract with the workers (session.LivenessPeriod):
// while a session is WORKING, its owner writes State.LastKeepalive at least
// this often.
const LivenessPeriod = session.LivenessPeriod

// Defaults.
const (
	DefaultInterval = 15 * time.Minute
	// DefaultUsageInterval is the usage report period.
	DefaultUsageInterval = time.Hour
	DefaultStuckAfter    = 60 * time.Second
	DefaultMaxAttempts   = 5
	DefaultBaseBackoff   = 5 * time.Minute
	// DefaultKeepaliveTimeout is three missed liveness periods.
	DefaultKeepaliveTimeout = 3 * LivenessPeriod
	// minInterval keeps sweep ids (unix seconds of the tick) unique.
	minInterval = time.Second
)

// Config configures a Scheduler.
type Config struct {
	// ID names this replica; it is the leader lease holder.
	ID string
	// Interval is the sweep period (SWITCHBOARD_HEALTHCHECK_INTERVAL).
	Interval time.Duration
	// Shards is the shard count N; the sweep audits leases 0..N-1.
	Shards int
	// StuckAfter is how long a session may stay connecting before a restart.
	StuckAfter time.Duration
	// MaxAttempts is how many restarts a failing session gets before the
	// scheduler gives up on it.
	MaxAttempts int
	// BaseBackoff is the wait after the first restart; it doubles per attempt.
	BaseBackoff time.Duration
	// KeepaliveTimeout is how stale State.LastKeepalive of a WORKING session
	// may be before its socket counts as dead (default 3×LivenessPeriod);
	// negative turns the check off.
	KeepaliveTimeout time.Duration
	// UsageInterval is the billing usage period (SWITCHBOARD_USAGE_INTERVAL),
	// aligned on unix time multiples.
	UsageInterval time.Duration
	// Registry receives the scheduler's metrics (switchboard_scheduler_*);
	// default: a registry of its own (see Scheduler.MetricsHandler).
	Registry *prometheus.Registry
}

func (c *Config) setDefaults() {
	if c.ID == "" {
		host, _ := os.Hostname()
		c.ID = fmt.Sprintf("scheduler-%s-%d", host, os.Getpid())
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Shards == 0 {
		c.Shards = shard.DefaultCount
	}
	if c.UsageInterval == 0 {
		c.UsageInterval = DefaultUsageInterval
	}
	if c.StuckAfter == 0 {
		c.StuckAfter = DefaultStuckAfter
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.BaseBackoff == 0 {
		c.BaseBackoff = DefaultBaseBackoff
	}
	if c.KeepaliveTimeout == 0 {
		c.KeepaliveTimeout = DefaultKeepaliveTimeout
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
}

// Validate checks the configuration after defaults were applied.
func (c Config) Validate() error {
	if c.ID == "" {
		return errors.New("scheduler: ID is required")
	}
	if c.Interval < minInterval {
		return fmt.Errorf("scheduler: Interval must be at least %v", minInterval)
	}
	if c.Shards < 1 {
		return errors.New("scheduler: Shards must be positive")
	}
	if c.UsageInterval < minInterval {
		return fmt.Errorf("scheduler: UsageInterval must be at least %v", minInterval)
	}
	if err := c.rules().Validate(); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	return nil
}

func (c Config) rules() health.Rules {
	return health.Rules{
		StuckAfter:       c.StuckAfter,
		KeepaliveTimeout: c.KeepaliveTimeout,
		MaxAttempts:      c.MaxAttempts,
		BaseBackoff:      c.BaseBackoff,
	}
}
