package httpapi

import (
	"fmt"
	"io/fs"
	"path"

	"github.com/gofiber/fiber/v3"
)

// asset is one embedded static file (dashboard, API reference page). Its
// bytes stay in the binary and are streamed from there on each request: read
// into the heap at start they cost 1.1 MiB (the Redoc bundle) in every
// process, and more again as GC headroom.
type asset struct {
	fsys        fs.FS
	name        string
	contentType string
}

// assetTypes are the content types of the embedded files, by extension. A
// fixed table: mime.TypeByExtension parses the system's mime.types on first
// use, about 450 KiB of heap kept for the process's life.
var assetTypes = map[string]string{
	".html": fiber.MIMETextHTMLCharsetUTF8,
	".js":   fiber.MIMETextJavaScriptCharsetUTF8,
	".css":  fiber.MIMETextCSSCharsetUTF8,
	".json": fiber.MIMEApplicationJSONCharsetUTF8,
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
}

// loadAssets lists every file of fsys, keyed by its path. The embedded trees
// are small; Fiber's static middleware redirects in a loop on an embedded
// index under a prefix.
func loadAssets(fsys fs.FS) (map[string]asset, error) {
	files := map[string]asset{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := assetTypes[path.Ext(p)]
		if !ok {
			ct = fiber.MIMETextPlainCharsetUTF8
		}
		files[p] = asset{fsys: fsys, name: p, contentType: ct}
		return nil
	})
	return files, err
}

// sendAsset answers with a, under the content security policy csp.
func sendAsset(c fiber.Ctx, a asset, csp string) error {
	f, err := a.fsys.Open(a.name)
	if err != nil {
		return fmt.Errorf("httpapi: asset %s: %w", a.name, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("httpapi: asset %s: %w", a.name, err)
	}
	c.Set(fiber.HeaderContentType, a.contentType)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("Content-Security-Policy", csp)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	// fasthttp closes f once the body is written.
	return c.SendStream(f, int(st.Size()))
}
