package webhook

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Results of switchboard_webhook_deliveries_total: one per HTTP attempt.
const (
	// ResultDelivered is a 2xx answer.
	ResultDelivered = "delivered"
	// ResultRejected is any other answer (retried or not).
	ResultRejected = "rejected"
	// ResultError is no answer: timeout, refused, TLS or DNS failure.
	ResultError = "error"
)

// Metrics are the delivery collectors, set in Config.Metrics. They are the
// one hook delivery code calls: Attempt after each HTTP request, DeadLetter
// after each dead letter recorded. A nil *Metrics records nothing.
type Metrics struct {
	deliveries  *prometheus.CounterVec
	deadLetters prometheus.Counter
	duration    prometheus.Histogram
}

// NewMetrics registers switchboard_webhook_deliveries_total{result},
// switchboard_webhook_dead_letters_total and
// switchboard_webhook_delivery_seconds with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	const ns, sub = "switchboard", "webhook"
	m := &Metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "deliveries_total",
			Help: "Webhook HTTP attempts by result: delivered (2xx), rejected (other status), error (no answer)."},
			[]string{"result"}),
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "dead_letters_total",
			Help: "Events given up on for a target and recorded as dead letters."}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "delivery_seconds",
			Help: "Duration of webhook HTTP attempts, whatever their result.", Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10)}),
	}
	for _, c := range []prometheus.Collector{m.deliveries, m.deadLetters, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, r := range []string{ResultDelivered, ResultRejected, ResultError} {
		m.deliveries.WithLabelValues(r)
	}
	return m, nil
}

// Attempt records one HTTP attempt: its status (0 when there was no
// answer) and how long it took.
func (m *Metrics) Attempt(status int, d time.Duration) {
	if m == nil {
		return
	}
	result := ResultError
	switch {
	case status >= 200 && status < 300:
		result = ResultDelivered
	case status != 0:
		result = ResultRejected
	}
	m.deliveries.WithLabelValues(result).Inc()
	m.duration.Observe(d.Seconds())
}

// DeadLetter records one dead letter.
func (m *Metrics) DeadLetter() {
	if m != nil {
		m.deadLetters.Inc()
	}
}
