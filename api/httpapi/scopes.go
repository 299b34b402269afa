package httpapi

import (
	"net/http"
	"strings"

	"github.com/switchboard-gw/switchboard/api/keys"
)

// routeScopes names the scope of routes whose method alone does not say
// it; every other route needs sessions:read for GET and HEAD and
// sessions:write otherwise, everything under /api/v1/admin needs admin,
// and any POST to a …/messages route needs messages:send.
var routeScopes = map[string]keys.Scope{
	// Wawp reads its info with POST as well as GET.
	"POST /v2/session/info": keys.SessionsRead,
}

// AdminPrefix starts every admin route.
const AdminPrefix = "/api/v1/admin"

// requiredScope is the scope a request to the route pattern path needs.
func requiredScope(method, path string) keys.Scope {
	if s, ok := routeScopes[method+" "+path]; ok {
		return s
	}
	switch {
	case path == AdminPrefix || strings.HasPrefix(path, AdminPrefix+"/"):
		return keys.Admin
	case method == http.MethodPost && (strings.HasSuffix(path, "/messages") || strings.Contains(path, "/messages/")):
		return keys.MessagesSend
	case method == http.MethodGet || method == http.MethodHead:
		return keys.SessionsRead
	}
	return keys.SessionsWrite
}

// routeHasID reports whether the route pattern names a session by :id.
func routeHasID(path string) bool { return strings.Contains(path, "/:id") }

// sessionListRoute reports whether the route lists sessions (a
// session-bound key may list, and sees only its session).
func sessionListRoute(method, path string) bool {
	if method != http.MethodGet {
		return false
	}
	switch strings.TrimSuffix(path, "/") {
	case "/api/v1/sessions", "/sessions":
		return true
	}
	return false
}
