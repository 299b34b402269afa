package worker

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/sessions"
)

const metricsSubsystem = "worker"

var workerSessionsDesc = prometheus.NewDesc(
	prometheus.BuildFQName("switchboard", metricsSubsystem, "sessions"),
	"Sessions held by this worker's shards, by internal status.",
	[]string{"status"}, nil)

var shardsOwnedDesc = prometheus.NewDesc(
	prometheus.BuildFQName("switchboard", metricsSubsystem, "shards_owned"),
	"Shards whose lease this worker holds and runs.",
	nil, nil)

// collector reports switchboard_worker_sessions{status} and
// switchboard_worker_shards_owned at scrape time by walking the owned
// shards; the actors' statuses are read without entering their mailboxes.
type collector struct{ w *Worker }

// Describe implements prometheus.Collector.
func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- workerSessionsDesc
	ch <- shardsOwnedDesc
}

// Collect implements prometheus.Collector.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	owned := c.w.owned()
	counts := make(map[session.Status]int)
	for _, o := range owned {
		o.sh.Each(func(a *sessions.Session) {
			if st := a.Status(); st != "" {
				counts[st]++
			}
		})
	}
	for _, st := range session.Statuses {
		ch <- prometheus.MustNewConstMetric(workerSessionsDesc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
	ch <- prometheus.MustNewConstMetric(shardsOwnedDesc, prometheus.GaugeValue, float64(len(owned)))
}

// newPacerWait is switchboard_worker_pacer_wait_seconds.
func newPacerWait() prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "switchboard", Subsystem: metricsSubsystem, Name: "pacer_wait_seconds",
		Help:    "Time a connect waited in the worker's pacer before its release.",
		Buckets: prometheus.ExponentialBuckets(0.001, 3, 12),
	})
}

// registerMetrics registers the worker's collectors with reg and returns
// the actors' metrics and the pacer's wait histogram.
func (w *Worker) registerMetrics(reg prometheus.Registerer) (*sessions.Metrics, prometheus.Histogram, error) {
	wait := newPacerWait()
	if err := reg.Register(wait); err != nil {
		return nil, nil, err
	}
	if err := reg.Register(collector{w}); err != nil {
		return nil, nil, err
	}
	m, err := sessions.NewMetrics(reg)
	if err != nil {
		return nil, nil, err
	}
	return m, wait, nil
}
