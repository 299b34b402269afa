package httpapi

import (
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/switchboard-gw/switchboard/api/dashboard"
)

// dashboardCSP lets the page run only its own script and talk only to this
// api.
const dashboardCSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"

// asset is one embedded dashboard file, read once at start.
type asset struct {
	contentType string
	body        []byte
}

// dashboardRoutes serves the embedded dashboard at /dashboard/ and sends
// visitors of / there. The files are public; every call they make carries
// the signed-in key. The handful of small files is held in memory (Fiber's
// static middleware redirects in a loop on an embedded index under a
// prefix).
func (s *Server) dashboardRoutes() {
	assets := map[string]asset{}
	_ = fs.WalkDir(dashboard.Files(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(dashboard.Files(), p)
		if err != nil {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		assets[p] = asset{contentType: ct, body: b}
		return nil
	})
	s.app.Get("/", func(c fiber.Ctx) error { return c.Redirect().Status(fiber.StatusFound).To("/dashboard/") })
	s.app.Get("/dashboard/*", func(c fiber.Ctx) error {
		name := strings.TrimPrefix(c.Params("*"), "/")
		if name == "" {
			name = "index.html"
		}
		a, ok := assets[name]
		if !ok {
			return fiber.ErrNotFound
		}
		c.Set(fiber.HeaderContentType, a.contentType)
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Set("Content-Security-Policy", dashboardCSP)
		c.Set("X-Content-Type-Options", "nosniff")
		c.Set("Referrer-Policy", "no-referrer")
		return c.Send(a.body)
	})
}
