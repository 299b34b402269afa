package httpapi

import (
	"github.com/gofiber/fiber/v3"

	"github.com/switchboard-gw/switchboard/api/openapi"
)

// docsCSP lets the Redoc bundle run: its own script, the search worker it
// starts from a blob, the style tags it injects, and fetches of
// /openapi.json only.
const docsCSP = "default-src 'self'; script-src 'self' blob:; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"

// docsRoutes serves the API documents and the reference page, without
// authentication: GET /openapi.json, /asyncapi.json, /docs and its assets
// (/docs/{asset}). The documents are converted from YAML once, at start.
func (s *Server) docsRoutes() error {
	oas, err := openapi.OpenAPI()
	if err != nil {
		return err
	}
	aas, err := openapi.AsyncAPI()
	if err != nil {
		return err
	}
	files, err := loadAssets(openapi.Static())
	if err != nil {
		return err
	}
	doc := func(body []byte) fiber.Handler {
		return func(c fiber.Ctx) error {
			c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
			c.Set(fiber.HeaderCacheControl, "no-cache")
			c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
			return c.Send(body)
		}
	}
	s.app.Get("/openapi.json", doc(oas))
	s.app.Get("/asyncapi.json", doc(aas))
	page := func(name string) fiber.Handler {
		return func(c fiber.Ctx) error {
			file := name
			if file == "" {
				file = c.Params("asset")
			}
			a, ok := files[file]
			if !ok {
				return fiber.ErrNotFound
			}
			return sendAsset(c, a, docsCSP)
		}
	}
	s.app.Get("/docs", page("index.html"))
	s.app.Get("/docs/:asset", page(""))
	return nil
}
