package httpapi

import (
	"io/fs"
	"mime"
	"path"

	"github.com/gofiber/fiber/v3"
)

// asset is one embedded static file (dashboard, API reference page), read
// once at start.
type asset struct {
	contentType string
	body        []byte
}

// loadAssets reads every file of fsys into memory, keyed by its path. The
// embedded trees are small; Fiber's static middleware redirects in a loop
// on an embedded index under a prefix.
func loadAssets(fsys fs.FS) (map[string]asset, error) {
	files := map[string]asset{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = fiber.MIMETextPlainCharsetUTF8
		}
		files[p] = asset{contentType: ct, body: b}
		return nil
	})
	return files, err
}

// sendAsset answers with a, under the content security policy csp.
func sendAsset(c fiber.Ctx, a asset, csp string) error {
	c.Set(fiber.HeaderContentType, a.contentType)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("Content-Security-Policy", csp)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	return c.Send(a.body)
}
