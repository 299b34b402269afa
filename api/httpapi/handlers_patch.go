package httpapi

import (
	"github.com/gofiber/fiber/v3"

	"github.com/switchboard-gw/switchboard/api/sessions"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// patchRequest is the body of PATCH /api/v1/sessions/{id}: every field is
// optional; webhook (one) or webhooks (a list) replace the session's list.
type patchRequest struct {
	Name              *string           `json:"name"`
	MessageLogging    *bool             `json:"message_logging"`
	AccountProtection *bool             `json:"account_protection"`
	Webhook           *webhookRequest   `json:"webhook"`
	Webhooks          *[]webhookRequest `json:"webhooks"`
	MessageRate       *float64          `json:"message_rate"`
	MessageBurst      *int              `json:"message_burst"`
}

func (r patchRequest) input() (sessions.PatchInput, error) {
	in := sessions.PatchInput{
		Name: r.Name, MessageLogging: r.MessageLogging, AccountProtection: r.AccountProtection,
		MessageRate: r.MessageRate, MessageBurst: r.MessageBurst,
	}
	if r.Webhook != nil && r.Webhooks != nil {
		return in, invalidRequest(`give "webhook" or "webhooks", not both`)
	}
	var list []webhookRequest
	switch {
	case r.Webhook != nil:
		list = []webhookRequest{*r.Webhook}
	case r.Webhooks != nil:
		list = *r.Webhooks
	default:
		return in, nil
	}
	hooks := make([]session.Webhook, len(list))
	for i, w := range list {
		hooks[i] = session.Webhook{URL: w.URL, Events: w.Events, Secret: w.Secret}
	}
	in.Webhooks = &hooks
	return in, nil
}

func (s *Server) patchSession(c fiber.Ctx, tenant string) error {
	var req patchRequest
	if err := decodeJSON(c.BodyRaw(), &req, false); err != nil {
		return err
	}
	in, err := req.input()
	if err != nil {
		return err
	}
	rec, err := s.svc.Patch(s.ctx, tenant, sessionID(c), in)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"session": newSessionJSON(rec)})
}
