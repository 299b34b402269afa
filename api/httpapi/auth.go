package httpapi

import (
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/switchboard-gw/switchboard/api/keys"
	"github.com/switchboard-gw/switchboard/api/sessions"
)

// principal is who a request acts as: a tenant, the scopes of its key, and
// for a session-bound key the one session it may see.
type principal struct {
	tenant  string
	session string
	scopes  []keys.Scope
	// id names the key for rate limiting (never the key itself).
	id string
}

// authenticator maps api keys to principals: the env keys (admin, tenant)
// and the managed keys of the store. Keys are looked up by their SHA-256
// digest, so the lookup's timing depends only on the digest of what the
// client sent and reveals nothing about stored keys.
type authenticator struct {
	env   map[keys.Digest]principal
	store *keys.Store
}

func newAuthenticator(adminKey string, tenantKeys map[string]string, store *keys.Store) authenticator {
	a := authenticator{env: make(map[keys.Digest]principal, len(tenantKeys)+1), store: store}
	for key, tenant := range tenantKeys {
		d := keys.DigestOf(key)
		a.env[d] = principal{tenant: tenant, scopes: keys.Tenant, id: "env:" + hex.EncodeToString(d[:8])}
	}
	if adminKey != "" {
		a.env[keys.DigestOf(adminKey)] = principal{tenant: AdminTenant, scopes: keys.All, id: "env:admin"}
	}
	return a
}

// lookup returns the principal of a presented key.
func (a authenticator) lookup(key string) (principal, bool) {
	if key == "" {
		return principal{}, false
	}
	if p, ok := a.env[keys.DigestOf(key)]; ok {
		return p, true
	}
	if a.store == nil {
		return principal{}, false
	}
	k, ok := a.store.Lookup(key)
	if !ok {
		return principal{}, false
	}
	return principal{tenant: k.Tenant, session: k.Session, scopes: k.Scopes, id: k.ID}, true
}

// headerKey returns the request's key: "Authorization: Bearer <key>", or
// "X-Api-Key: <key>" as WASend clients send it.
func headerKey(c fiber.Ctx) string {
	if h := c.Get(fiber.HeaderAuthorization); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return strings.TrimSpace(c.Get("X-Api-Key"))
}

// Errors of authorization.
var (
	errUnauthorized = &httpError{http.StatusUnauthorized, "unauthorized", "missing or invalid api key"}
	errSessionBound = &httpError{http.StatusForbidden, "forbidden", "this key is bound to one session and cannot use this route"}
)

func errForbiddenScope(s keys.Scope) error {
	return &httpError{http.StatusForbidden, "forbidden", "this api key lacks the " + string(s) + " scope"}
}

// principalLocal is the c.Locals key of the request's principal.
type principalLocal struct{}

// principalOf returns the request's principal (set by authenticate).
func principalOf(c fiber.Ctx) principal {
	p, _ := c.Locals(principalLocal{}).(principal)
	return p
}

// authenticate resolves key to a principal, enforcing the per-address
// limit on failed authentications and the key's request rate.
func (s *Server) authenticate(c fiber.Ctx, key string) (principal, error) {
	if err := s.authBlocked(c); err != nil {
		return principal{}, err
	}
	p, ok := s.auth.lookup(key)
	if !ok {
		s.authFailed(c)
		return principal{}, errUnauthorized
	}
	if err := s.limitKey(c, p.id, p.tenant); err != nil {
		return principal{}, err
	}
	c.Locals(principalLocal{}, p)
	return p, nil
}

// authorize checks p's scope for the route and, for a session-bound key,
// the session the request names (id; hasID false when the route names
// none). Another session is answered as not found, like another tenant's.
func (s *Server) authorize(c fiber.Ctx, p principal, id string, hasID bool) error {
	need := requiredScope(c.Method(), c.Route().Path)
	if !keys.Has(p.scopes, need) {
		return errForbiddenScope(need)
	}
	if p.session == "" {
		return nil
	}
	switch {
	case hasID && id != p.session:
		return sessions.ErrNotFound
	case !hasID && !sessionListRoute(c.Method(), c.Route().Path):
		return errSessionBound
	}
	return nil
}

// tenantHandler is a handler that runs for an authenticated tenant.
type tenantHandler func(c fiber.Ctx, tenant string) error

// authed wraps h with authentication and authorization. It is a wrapper
// rather than app.Use middleware so that Fiber's server-level errors (413
// and the like), which re-run Use middleware, go straight to the error
// handler.
func (s *Server) authed(h tenantHandler) fiber.Handler {
	return func(c fiber.Ctx) error {
		p, err := s.authenticate(c, headerKey(c))
		if err != nil {
			return err
		}
		id := c.Params("id")
		if err := s.authorize(c, p, id, routeHasID(c.Route().Path)); err != nil {
			return err
		}
		return h(c, p.tenant)
	}
}
