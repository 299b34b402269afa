package scheduler

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the sweep metrics, in the registry of Config.Registry.
type metrics struct {
	reg        *prometheus.Registry
	sweeps     *prometheus.CounterVec
	checked    prometheus.Counter
	restarted  prometheus.Counter
	givenUp    prometheus.Counter
	loggedOut  prometheus.Counter
	orphans    prometheus.Counter
	errors     prometheus.Counter
	duration   prometheus.Histogram
	lastSweep  prometheus.Gauge
	lastChecks prometheus.Gauge
	leader     prometheus.Gauge
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	const ns, sub = "switchboard", "scheduler"
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: name, Help: help})
	}
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: name, Help: help})
	}
	m := &metrics{
		reg: reg,
		sweeps: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "sweeps_total",
			Help: "Sweeps by outcome: done, skipped (tick already handled) or error."}, []string{"outcome"}),
		checked:   counter("sessions_checked_total", "Session records read by sweeps."),
		restarted: counter("sessions_restarted_total", "Restart commands published by sweeps."),
		givenUp:   counter("sessions_given_up_total", "Sessions the scheduler stopped restarting."),
		loggedOut: counter("sessions_logged_out_total", "Logouts reported by sweeps."),
		orphans:   counter("shards_orphaned_total", "Shards found without a lease holder."),
		errors:    counter("sweep_errors_total", "Failed publishes and bookkeeping writes."),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "sweep_duration_seconds",
			Help: "Duration of completed sweeps.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)}),
		lastSweep:  gauge("last_sweep_timestamp_seconds", "Unix time of the last completed sweep."),
		lastChecks: gauge("last_sweep_sessions", "Sessions read by the last completed sweep."),
		leader:     gauge("leader", "1 while this replica holds the leader lease."),
	}
	for _, c := range []prometheus.Collector{m.sweeps, m.checked, m.restarted, m.givenUp, m.loggedOut, m.orphans,
		m.errors, m.duration, m.lastSweep, m.lastChecks, m.leader} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("scheduler: metrics: %w", err)
		}
	}
	return m, nil
}

// observe records one sweep.
func (m *metrics) observe(r SweepResult, err error) {
	switch {
	case err != nil:
		m.sweeps.WithLabelValues("error").Inc()
		return
	case r.Skipped:
		m.sweeps.WithLabelValues("skipped").Inc()
		return
	}
	m.sweeps.WithLabelValues("done").Inc()
	m.checked.Add(float64(r.Checked))
	m.restarted.Add(float64(r.Restarted))
	m.givenUp.Add(float64(r.GivenUp))
	m.loggedOut.Add(float64(r.LoggedOut))
	m.orphans.Add(float64(r.Orphans))
	m.errors.Add(float64(r.Errors))
	m.duration.Observe(r.Duration.Seconds())
	m.lastSweep.SetToCurrentTime()
	m.lastChecks.Set(float64(r.Checked))
}
