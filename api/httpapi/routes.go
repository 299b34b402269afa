package httpapi

// routes registers every surface. Unknown paths and methods fall through to
// Fiber's 404/405, which the error handler turns into JSON.
func (s *Server) routes() {
	s.opsRoutes()
	// Not under /api/v1/sessions/, where "events" is a valid session id.
	s.app.Get("/api/v1/events", s.authed(s.streamEvents))

	v1 := s.app.Group("/api/v1/sessions")
	v1.Post("/", s.authed(s.createSession))
	v1.Get("/", s.authed(s.listSessions))
	v1.Get("/:id", s.authed(s.getSession))
	v1.Delete("/:id", s.authed(s.deleteSession))
	v1.Get("/:id/status", s.authed(s.getStatus))
	v1.Get("/:id/device", s.authed(s.getDevice))
	v1.Get("/:id/qr", s.authed(s.qr))
	v1.Post("/:id/pair", s.authed(s.pair))
	v1.Post("/:id/connect", s.authed(s.action(s.coalesce(s.svc.Connect), "Session connecting")))
	v1.Post("/:id/disconnect", s.authed(s.action(s.ending(s.svc.Disconnect), "Session disconnecting")))
	v1.Post("/:id/restart", s.authed(s.action(s.coalesce(s.svc.Restart), "Session restarting")))
	v1.Post("/:id/logout", s.authed(s.action(s.ending(s.svc.Logout), "Session logging out")))
	v1.Get("/:id/webhooks/dead-letters", s.authed(s.listDeadLetters))
	v1.Post("/:id/webhooks/dead-letters/replay", s.authed(s.replayDeadLetters))
	v1.Post("/:id/webhooks/test", s.authed(s.testWebhook))
	v1.Patch("/:id", s.authed(s.patchSession))
	v1.Post("/:id/messages", s.authed(s.sendMessage))
	v1.Get("/:id/messages", s.authed(s.listMessages))
	v1.Delete("/:id/messages", s.authed(s.eraseMessages))
	v1.Get("/:id/messages/:message_id", s.authed(s.getMessage))

	s.adminRoutes()

	s.wasendRoutes()
	s.wawpRoutes()
}
