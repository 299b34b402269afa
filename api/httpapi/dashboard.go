package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/switchboard-gw/switchboard/api/dashboard"
)

// dashboardCSP lets the page run only its own script and talk only to this
// api.
const dashboardCSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"

// dashboardRoutes serves the embedded dashboard at /dashboard/ and sends
// visitors of / there. The files are public; every call they make carries
// the signed-in key.
func (s *Server) dashboardRoutes() error {
	files, err := loadAssets(dashboard.Files())
	if err != nil {
		return err
	}
	s.app.Get("/", func(c fiber.Ctx) error { return c.Redirect().Status(fiber.StatusFound).To("/dashboard/") })
	s.app.Get("/dashboard/*", func(c fiber.Ctx) error {
		name := strings.TrimPrefix(c.Params("*"), "/")
		if name == "" {
			name = "index.html"
		}
		a, ok := files[name]
		if !ok {
			return fiber.ErrNotFound
		}
		return sendAsset(c, a, dashboardCSP)
	})
	return nil
}
