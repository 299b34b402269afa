package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v3"

	"github.com/switchboard-gw/switchboard/api/sessions"
	"github.com/switchboard-gw/switchboard/api/webhooks"
	"github.com/switchboard-gw/switchboard/shared/webhookctl"
)

// Webhook routes: the session must be the tenant's own (404 otherwise, as
// everywhere); the workers answer over NATS.
//
//	GET  /api/v1/sessions/{id}/webhooks/dead-letters?limit=&offset=
//	POST /api/v1/sessions/{id}/webhooks/dead-letters/replay  {} | {"ids": […]} → 202
//	POST /api/v1/sessions/{id}/webhooks/test                 {} | {"url": "…"}

var errWebhooksUnavailable = &httpError{http.StatusServiceUnavailable, "webhooks_unavailable", "no worker answered; retry later"}

func (s *Server) listDeadLetters(c fiber.Ctx, tenant string) error {
	id, err := s.ownSession(tenant, c)
	if err != nil {
		return err
	}
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
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.WebhookWait)
	defer cancel()
	r, err := s.hooks.DeadLetters(ctx, tenant, id, webhookctl.ListRequest{Limit: limit, Offset: offset})
	if err != nil {
		return webhookError(err)
	}
	return c.JSON(fiber.Map{"dead_letters": r.DeadLetters, "total": r.Total, "limit": limit, "offset": offset})
}

// replayRequest is the body of the replay route; empty replays all.
type replayRequest struct {
	IDs []int64 `json:"ids"`
}

func (s *Server) replayDeadLetters(c fiber.Ctx, tenant string) error {
	id, err := s.ownSession(tenant, c)
	if err != nil {
		return err
	}
	var req replayRequest
	if err := decodeJSON(c.BodyRaw(), &req, true); err != nil {
		return err
	}
	if len(req.IDs) > sessions.MaxLimit {
		return invalidRequest("ids: at most 1000 per request")
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.WebhookWait)
	defer cancel()
	r, err := s.hooks.Replay(ctx, tenant, id, webhookctl.ReplayRequest{IDs: req.IDs})
	if err != nil {
		return webhookError(err)
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"accepted": r.Accepted})
}

// testRequest optionally names which of the session's webhooks to ping.
type testRequest struct {
	URL string `json:"url"`
}

func (s *Server) testWebhook(c fiber.Ctx, tenant string) error {
	id, err := s.ownSession(tenant, c)
	if err != nil {
		return err
	}
	var req testRequest
	if err := decodeJSON(c.BodyRaw(), &req, true); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.WebhookWait)
	defer cancel()
	r, err := s.hooks.Test(ctx, tenant, id, webhookctl.TestRequest{URL: req.URL})
	if err != nil {
		return webhookError(err)
	}
	out := fiber.Map{"event_id": r.EventID, "url": r.URL, "status_code": r.StatusCode, "delivered": r.Delivered}
	if r.Failure != "" {
		out["failure"] = r.Failure
	}
	return c.JSON(out)
}

// ownSession returns the path's session id when it is one of tenant's.
func (s *Server) ownSession(tenant string, c fiber.Ctx) (string, error) {
	id := sessionID(c)
	if _, err := s.svc.Get(tenant, id); err != nil {
		return "", err
	}
	return id, nil
}

// webhookError maps a control failure to an HTTP error.
func webhookError(err error) error {
	var re *webhooks.RemoteError
	if errors.As(err, &re) {
		switch re.Code {
		case webhookctl.CodeNoWebhook:
			return &httpError{http.StatusConflict, "no_webhook", "the session has no such webhook"}
		case webhookctl.CodeInvalid:
			return invalidRequest(re.Message)
		}
	}
	return errWebhooksUnavailable
}
