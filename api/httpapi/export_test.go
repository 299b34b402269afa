package httpapi

import "github.com/gofiber/fiber/v3"

// Routes returns every route the Fiber app registered (tests only).
func (s *Server) Routes() []fiber.Route { return s.app.GetRoutes(true) }
