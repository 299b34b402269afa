package ops

import (
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
)

// Probe and metrics paths, the same on every binary.
const (
	PathMetrics = "/metrics"
	PathLive    = "/livez"
	PathReady   = "/readyz"
	// PathHealth is the older name of PathReady.
	PathHealth = "/healthz"
	// PathDrain starts a worker's drain and answers when it is done (the
	// Kubernetes preStop hook of the Helm chart).
	PathDrain = "/drain"
)

// RetryAfter is the Retry-After value (seconds) of a 503 readiness answer.
const RetryAfter = "5"

// Live is the body of a liveness answer: the process runs and serves HTTP.
var Live = map[string]bool{"ok": true}

// Status is the HTTP status of a readiness answer.
func (r Report) Status() int {
	if r.OK {
		return http.StatusOK
	}
	return http.StatusServiceUnavailable
}

// Mux serves PathMetrics from g and the probes from p.
func Mux(g prometheus.Gatherer, p *Probe) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET "+PathMetrics, MetricsHandler(g))
	mux.HandleFunc("GET "+PathLive, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, Live)
	})
	ready := func(w http.ResponseWriter, r *http.Request) {
		rep := p.Ready(r.Context())
		if !rep.OK {
			w.Header().Set("Retry-After", RetryAfter)
		}
		writeJSON(w, rep.Status(), rep)
	}
	mux.HandleFunc("GET "+PathReady, ready)
	mux.HandleFunc("GET "+PathHealth, ready)
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
