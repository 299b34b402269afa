package httpapi

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-gw/switchboard/api/mirror"
	"github.com/switchboard-gw/switchboard/shared/ops"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// unmatchedRoute labels requests no route matched (404, 405): raw paths
// would carry session ids and grow without bound.
const unmatchedRoute = "unmatched"

// httpBuckets cover quick reads up to a pair request's wait.
var httpBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// metrics are the api's Prometheus collectors.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer, m *mirror.Mirror) (*metrics, error) {
	out := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ops.Namespace, Name: "http_requests_total",
			Help: "HTTP requests answered, by method, route template and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ops.Namespace, Name: "http_request_duration_seconds",
			Help: "Time to answer HTTP requests, by method and route template.", Buckets: httpBuckets,
		}, []string{"method", "route"}),
	}
	for _, c := range []prometheus.Collector{out.requests, out.duration, &sessionsCollector{m: m}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// middleware counts and times every request under its route template. It
// runs the error handler itself, so the status it records is the one sent.
func (m *metrics) middleware(handleError fiber.ErrorHandler) fiber.Handler {
	return func(c fiber.Ctx) error {
		start := time.Now()
		if err := c.Next(); err != nil {
			if herr := handleError(c, err); herr != nil {
				c.Status(fiber.StatusInternalServerError)
			}
		}
		route := unmatchedRoute
		if c.Matched() {
			// A group's root route ends in "/"; clients call it without.
			route = c.Route().Path
			if len(route) > 1 {
				route = strings.TrimSuffix(route, "/")
			}
		}
		method := c.Method()
		m.requests.WithLabelValues(method, route, strconv.Itoa(c.Response().StatusCode())).Inc()
		m.duration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		return nil
	}
}

// sessionsCollector reports switchboard_sessions{status} from the mirror at
// scrape time: every tenant's sessions, so one api replica's answer is the
// cluster's.
type sessionsCollector struct{ m *mirror.Mirror }

var sessionsDesc = prometheus.NewDesc(ops.Namespace+"_sessions",
	"Sessions of every tenant by internal status, as the api's mirror of wa_sessions sees them.",
	[]string{"status"}, nil)

// Describe implements prometheus.Collector.
func (c *sessionsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- sessionsDesc }

// Collect implements prometheus.Collector.
func (c *sessionsCollector) Collect(ch chan<- prometheus.Metric) {
	counts := c.m.Counts()
	for _, st := range session.Statuses {
		ch <- prometheus.MustNewConstMetric(sessionsDesc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}
