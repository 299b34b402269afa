package httpapi

import (
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/switchboard-gw/switchboard/api/sessions"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// createRequest is the body of POST /api/v1/sessions.
type createRequest struct {
	ID                string          `json:"id"`
	Name              string          `json:"name"`
	Webhook           *webhookRequest `json:"webhook"`
	PhoneNumber       string          `json:"phone_number"`
	AccountProtection *bool           `json:"account_protection"`
	MessageLogging    *bool           `json:"message_logging"`
	Proxy             string          `json:"proxy"`
}

type webhookRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Secret string   `json:"secret"`
}

// input converts the request to the core's input. Account protection is
// on unless turned off; message logging is off unless turned on.
func (r createRequest) input(idemKey string) sessions.CreateInput {
	cfg := session.Config{
		Name:              r.Name,
		PhoneNumber:       r.PhoneNumber,
		AccountProtection: r.AccountProtection == nil || *r.AccountProtection,
		MessageLogging:    r.MessageLogging != nil && *r.MessageLogging,
		Proxy:             r.Proxy,
	}
	if r.Webhook != nil {
		cfg.Webhooks = []session.Webhook{{URL: r.Webhook.URL, Events: r.Webhook.Events, Secret: r.Webhook.Secret}}
	}
	return sessions.CreateInput{ID: r.ID, Config: cfg, IdempotencyKey: idemKey}
}

// sessionID returns the :id path parameter, copied out of Fiber's buffer.
func sessionID(c fiber.Ctx) string { return strings.Clone(c.Params("id")) }

// idempotencyKey returns the Idempotency-Key header, copied.
func idempotencyKey(c fiber.Ctx) string {
	return strings.Clone(strings.TrimSpace(c.Get("Idempotency-Key")))
}

func (s *Server) createSession(c fiber.Ctx, tenant string) error {
	var req createRequest
	if err := decodeJSON(c.BodyRaw(), &req, true); err != nil {
		return err
	}
	rec, replayed, err := s.svc.Create(s.ctx, tenant, req.input(idempotencyKey(c)))
	if err != nil {
		return err
	}
	return c.Status(createdStatus(replayed)).JSON(fiber.Map{"session": newSessionJSON(rec)})
}

// createdStatus is 201 for a new session and 200 for a create repeated
// with the same Idempotency-Key.
func createdStatus(replayed bool) int {
	if replayed {
		return http.StatusOK
	}
	return http.StatusCreated
}

func (s *Server) listSessions(c fiber.Ctx, tenant string) error {
	limit, err := queryInt(c, "limit", sessions.DefaultLimit)
	if err != nil {
		return err
	}
	offset, err := queryInt(c, "offset", 0)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = sessions.DefaultLimit
	}
	limit = min(limit, sessions.MaxLimit)
	recs, total := s.list(c, tenant, offset, limit)
	out := make([]sessionJSON, len(recs))
	for i, rec := range recs {
		out[i] = newSessionJSON(rec)
	}
	return c.JSON(fiber.Map{"sessions": out, "total": total, "limit": limit, "offset": offset})
}

func (s *Server) getSession(c fiber.Ctx, tenant string) error {
	rec, err := s.svc.Get(tenant, sessionID(c))
	if err != nil {
		return err
	}
	return c.JSON(newSessionJSON(rec))
}

func (s *Server) getStatus(c fiber.Ctx, tenant string) error {
	rec, err := s.svc.Get(tenant, sessionID(c))
	if err != nil {
		return err
	}
	return c.JSON(newStatusJSON(rec))
}

func (s *Server) getDevice(c fiber.Ctx, tenant string) error {
	rec, err := s.svc.Device(tenant, sessionID(c))
	if err != nil {
		return err
	}
	return c.JSON(newDeviceJSON(rec))
}

func (s *Server) deleteSession(c fiber.Ctx, tenant string) error {
	if _, err := s.ending(s.svc.Delete)(s.ctx, tenant, sessionID(c), idempotencyKey(c)); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"success": true, "message": "Session deleted"})
}

// list lists the tenant's sessions; a session-bound key sees only its own.
func (s *Server) list(c fiber.Ctx, tenant string, offset, limit int) ([]session.Record, int) {
	p := principalOf(c)
	if p.session == "" {
		return s.svc.List(tenant, offset, limit)
	}
	rec, err := s.svc.Get(tenant, p.session)
	if err != nil {
		return nil, 0
	}
	if offset > 0 || limit == 0 {
		return nil, 1
	}
	return []session.Record{rec}, 1
}
