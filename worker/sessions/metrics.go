package sessions

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-gw/switchboard/shared/command"
)

// Connect results of switchboard_worker_connects_total.
const (
	connectOK    = "ok"
	connectError = "error"
)

// Metrics are the actors' Prometheus collectors. A nil *Metrics records
// nothing (tests that do not look at metrics leave Deps.Metrics unset).
type Metrics struct {
	connects   *prometheus.CounterVec
	apply      *prometheus.HistogramVec
	keepalives prometheus.Counter
}

// NewMetrics registers the actors' collectors with reg:
// switchboard_worker_connects_total{result},
// switchboard_worker_command_apply_seconds{verb} and
// switchboard_worker_keepalive_failures_total.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	const ns, sub = "switchboard", "worker"
	m := &Metrics{
		connects: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "connects_total",
			Help: "Connects of whatsmeow clients to WhatsApp, by result (ok, error)."}, []string{"result"}),
		apply: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "command_apply_seconds",
			Help:    "Time to apply one session command, state write included, by verb.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}, []string{"verb"}),
		keepalives: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "keepalive_failures_total",
			Help: "Keepalive pings WhatsApp did not answer in time."}),
	}
	for _, c := range []prometheus.Collector{m.connects, m.apply, m.keepalives} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	// Every label value is known up front: export them at zero.
	m.connects.WithLabelValues(connectOK)
	m.connects.WithLabelValues(connectError)
	return m, nil
}

func (m *Metrics) connected(err error) {
	if m == nil {
		return
	}
	result := connectOK
	if err != nil {
		result = connectError
	}
	m.connects.WithLabelValues(result).Inc()
}

func (m *Metrics) applied(verb command.Verb, d time.Duration) {
	if m == nil {
		return
	}
	label := string(verb)
	if !verb.Valid() {
		label = "unknown" // verbs come off the wire; keep the label set closed
	}
	m.apply.WithLabelValues(label).Observe(d.Seconds())
}

func (m *Metrics) keepaliveFailed() {
	if m != nil {
		m.keepalives.Inc()
	}
}
