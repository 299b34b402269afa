package httpapi

import (
	"crypto/sha256"
	"strings"

	"github.com/gofiber/fiber/v3"
)

// authenticator maps api keys to tenants. Keys are looked up by their
// SHA-256 digest, so the lookup's timing depends only on the digest of what
// the client sent and reveals nothing about stored keys (the constant-time
// property a byte-wise comparison of keys would need).
type authenticator struct {
	tenants map[[sha256.Size]byte]string
}

func newAuthenticator(adminKey string, tenantKeys map[string]string) authenticator {
	a := authenticator{tenants: make(map[[sha256.Size]byte]string, len(tenantKeys)+1)}
	for key, tenant := range tenantKeys {
		a.tenants[sha256.Sum256([]byte(key))] = tenant
	}
	if adminKey != "" {
		a.tenants[sha256.Sum256([]byte(adminKey))] = AdminTenant
	}
	return a
}

// tenant returns the tenant of the request's key: "Authorization: Bearer
// <key>", or "X-Api-Key: <key>" as WASend clients send it.
func (a authenticator) tenant(c fiber.Ctx) (string, bool) {
	key := ""
	if h := c.Get(fiber.HeaderAuthorization); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		key = strings.TrimSpace(h[7:])
	} else {
		key = strings.TrimSpace(c.Get("X-Api-Key"))
	}
	return a.lookup(key)
}

// lookup returns the tenant of key.
func (a authenticator) lookup(key string) (string, bool) {
	if key == "" {
		return "", false
	}
	t, ok := a.tenants[sha256.Sum256([]byte(key))]
	return t, ok
}

// tenantHandler is a handler that runs for an authenticated tenant.
type tenantHandler func(c fiber.Ctx, tenant string) error

// authed wraps h with authentication. It is a wrapper rather than app.Use
// middleware so that Fiber's server-level errors (413 and the like), which
// re-run Use middleware, go straight to the error handler.
func (s *Server) authed(h tenantHandler) fiber.Handler {
	return func(c fiber.Ctx) error {
		tenant, ok := s.auth.tenant(c)
		if !ok {
			return errUnauthorized
		}
		return h(c, tenant)
	}
}
