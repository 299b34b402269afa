// Package dashboard embeds the web dashboard: static files (plain HTML, CSS
// and JavaScript, no build step and no CDN), served by the api under
// /dashboard/. The page signs in with an api key kept in sessionStorage and
// talks to the same HTTP api as any client, with live updates from
// GET /api/v1/events.
package dashboard

import (
	"embed"
	"io/fs"
)

//go:embed static
var files embed.FS

// Files is the dashboard's file tree (index.html at its root).
func Files() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}
