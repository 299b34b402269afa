package httpapi

import (
	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/adaptor"

	"github.com/switchboard-gw/switchboard/shared/ops"
)

// opsRoutes registers the probes and /metrics, all without authentication.
// /healthz is the older name of /readyz.
func (s *Server) opsRoutes() {
	s.app.Get(ops.PathLive, func(c fiber.Ctx) error { return c.JSON(ops.Live) })
	s.app.Get(ops.PathReady, s.ready)
	s.app.Get(ops.PathHealth, s.ready)
	s.app.Get(ops.PathMetrics, adaptor.HTTPHandler(ops.MetricsHandler(s.cfg.Registry)))
}

// ready answers 200 when every check of the process passes (NATS, streams,
// buckets, the mirror, and in the standalone the worker's and the
// database's), 503 with the failing checks named otherwise.
func (s *Server) ready(c fiber.Ctx) error {
	rep := s.cfg.Probe.Ready(c.Context())
	if !rep.OK {
		c.Set(fiber.HeaderRetryAfter, RetryAfter)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(rep.Status()).JSON(rep)
}

// addChecks adds the api's own checks to the process probe.
func (s *Server) addChecks(streams []string) {
	s.cfg.Probe.Add(
		ops.NATSCheck(s.nc),
		ops.StreamsCheck(s.js, streams...),
		ops.BucketsCheck(s.js, s.buckets.Sessions, s.buckets.Pairing),
		ops.Check{Name: CheckMirror, Run: s.mirror.Ready},
	)
}

// CheckMirror names the api's readiness check of its KV mirror.
const CheckMirror = "mirror"
