// Package ops is the operator's surface every Switchboard binary shares:
// the Prometheus registry a process puts all of its metrics in, the
// readiness checks behind /readyz, and the HTTP listener that serves
// /metrics, /livez, /readyz and /healthz for the binaries whose api port
// does not (switchboard-worker, switchboard-scheduler).
package ops

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every Switchboard metric name.
const Namespace = "switchboard"

// NewRegistry returns a registry holding the Go runtime and process
// collectors. A process makes one and passes it to each component's Config,
// so the standalone gateway exposes every role's metrics on one endpoint and
// tests running several components never collide.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// MetricsHandler serves g in the Prometheus text (or OpenMetrics) format.
func MetricsHandler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}
