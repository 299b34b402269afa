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

// addChecks adds the api's checks to the process probe: the bus, and the
// mirror caught up with wa_sessions.
func (s *Server) addChecks() {
	s.cfg.Probe.Add(ops.BusChecks(s.nc, s.js, s.buckets)...)
	s.cfg.Probe.Add(ops.Check{Name: CheckMirror, Run: s.mirror.Ready})
}

// CheckMirror names the api's readiness check of its KV mirror.
const CheckMirror = "mirror"
