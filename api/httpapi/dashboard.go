package httpapi

import (
	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/static"

	"github.com/switchboard-gw/switchboard/api/dashboard"
)

// dashboardRoutes serves the embedded dashboard at /dashboard/ and sends
// visitors of / there. The files are public; every call they make carries
// the signed-in key.
func (s *Server) dashboardRoutes() {
	s.app.Get("/", func(c fiber.Ctx) error { return c.Redirect().Status(fiber.StatusFound).To("/dashboard/") })
	s.app.Get("/dashboard", func(c fiber.Ctx) error { return c.Redirect().Status(fiber.StatusMovedPermanently).To("/dashboard/") })
	s.app.Get("/dashboard/*", static.New("", static.Config{
		FS:            dashboard.Files(),
		IndexNames:    []string{"index.html"},
		CacheDuration: -1,
		ModifyResponse: func(c fiber.Ctx) error {
			// The page runs only its own script and talks only to this api.
			c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
			c.Set("X-Content-Type-Options", "nosniff")
			c.Set("Referrer-Policy", "no-referrer")
			return nil
		},
	}))
}
