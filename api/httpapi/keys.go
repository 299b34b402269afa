package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/switchboard-gw/switchboard/api/keys"
)

// Managed keys: /api/v1/admin/keys, admin scope only (requiredScope).

// keyRequest is the body of POST /api/v1/admin/keys.
type keyRequest struct {
	Tenant  string       `json:"tenant"`
	Name    string       `json:"name"`
	Scopes  []keys.Scope `json:"scopes"`
	Session string       `json:"session"`
}

// keyJSON is a key's metadata; Key (the secret) only in the create answer.
type keyJSON struct {
	ID        string       `json:"id"`
	Key       string       `json:"key,omitempty"`
	Tenant    string       `json:"tenant"`
	Name      string       `json:"name"`
	Scopes    []keys.Scope `json:"scopes"`
	Session   *string      `json:"session"`
	CreatedAt int64        `json:"created_at"`
}

func newKeyJSON(k keys.Key, secret string) keyJSON {
	return keyJSON{ID: k.ID, Key: secret, Tenant: k.Tenant, Name: k.Name, Scopes: k.Scopes,
		Session: optional(k.Session), CreatedAt: k.CreatedAt.Unix()}
}

var errKeyNotFound = &httpError{http.StatusNotFound, "key_not_found", "no key with this id"}

func (s *Server) adminRoutes() {
	g := s.app.Group(AdminPrefix + "/keys")
	g.Post("/", s.authed(s.createKey))
	g.Get("/", s.authed(s.listKeys))
	g.Delete("/:id", s.authed(s.revokeKey))
}

// createKey makes a key; a tenant name not seen before simply starts to
// exist (tenants have no other record than their keys and sessions).
func (s *Server) createKey(c fiber.Ctx, _ string) error {
	var req keyRequest
	if err := decodeJSON(c.BodyRaw(), &req, false); err != nil {
		return err
	}
	k, secret, err := s.keys.Create(s.ctx, keys.NewKey{Tenant: req.Tenant, Name: req.Name, Scopes: req.Scopes, Session: req.Session})
	if errors.Is(err, keys.ErrInvalid) {
		return invalidRequest(strings.TrimPrefix(err.Error(), keys.ErrInvalid.Error()+": "))
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(http.StatusCreated).JSON(newKeyJSON(k, secret))
}

func (s *Server) listKeys(c fiber.Ctx, _ string) error {
	all := s.keys.List()
	out := make([]keyJSON, len(all))
	for i, k := range all {
		out[i] = newKeyJSON(k, "")
	}
	return c.JSON(fiber.Map{"keys": out, "total": len(out)})
}

func (s *Server) revokeKey(c fiber.Ctx, _ string) error {
	err := s.keys.Revoke(s.ctx, sessionID(c))
	if errors.Is(err, keys.ErrNotFound) {
		return errKeyNotFound
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"success": true, "message": "Key revoked"})
}
