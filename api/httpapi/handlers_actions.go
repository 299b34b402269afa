package httpapi

import (
	"context"

	"github.com/gofiber/fiber/v3"

	"github.com/switchboard-gw/switchboard/api/sessions"
)

// actionJSON answers connect, disconnect, restart and logout.
type actionJSON struct {
	Success   bool        `json:"success"`
	Message   string      `json:"message"`
	CommandID string      `json:"command_id"`
	Session   sessionJSON `json:"session"`
}

// actionFunc is one lifecycle action of the core.
type actionFunc func(ctx context.Context, tenant, id, idemKey string) (sessions.ActionResult, error)

// action answers a lifecycle action at once, without waiting for the worker.
func (s *Server) action(do actionFunc, message string) tenantHandler {
	return func(c fiber.Ctx, tenant string) error {
		res, err := do(s.ctx, tenant, sessionID(c), idempotencyKey(c))
		if err != nil {
			return err
		}
		return c.JSON(actionJSON{Success: true, Message: message, CommandID: res.CommandID, Session: newSessionJSON(res.Session)})
	}
}
