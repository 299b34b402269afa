package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/switchboard-gw/switchboard/api/sessions"
	"github.com/switchboard-gw/switchboard/shared/message"
	"github.com/switchboard-gw/switchboard/shared/msglog"
)

// sendRequest is the body of POST /api/v1/sessions/{id}/messages.
type sendRequest struct {
	To   *string `json:"to"`
	Text *string `json:"text"`
}

// messageJSON is a message on the /api/v1 surface.
type messageJSON struct {
	ID        string  `json:"id"`
	Direction string  `json:"direction"`
	To        string  `json:"to"`
	From      string  `json:"from,omitempty"`
	Text      *string `json:"text,omitempty"`
	Status    string  `json:"status"`
	Error     string  `json:"error,omitempty"`
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
}

func newMessageJSON(rec message.Record) messageJSON {
	v := messageJSON{
		ID: rec.ID, Direction: string(rec.Direction), To: rec.To, From: rec.From, Status: string(rec.Status),
		Error: rec.Error, CreatedAt: rec.CreatedAt.UTC().Format(time.RFC3339Nano), UpdatedAt: rec.UpdatedAt.UTC().Format(time.RFC3339Nano),
	}
	if rec.Text != "" {
		v.Text = &rec.Text
	}
	return v
}

func newLogJSON(e msglog.Entry) messageJSON {
	text := e.Text
	return messageJSON{
		ID: e.ID, Direction: string(e.Direction), To: e.To, From: e.From, Text: &text, Status: string(e.Status),
		Error: e.Error, CreatedAt: e.CreatedAt.UTC().Format(time.RFC3339Nano), UpdatedAt: e.UpdatedAt.UTC().Format(time.RFC3339Nano),
	}
}

func (s *Server) sendMessage(c fiber.Ctx, tenant string) error {
	var req sendRequest
	if err := decodeJSON(c.BodyRaw(), &req, false); err != nil {
		return err
	}
	if req.To == nil {
		return invalidRequest(`"to" is required`)
	}
	if req.Text == nil {
		return invalidRequest(`"text" is required`)
	}
	rec, err := s.svc.Send(s.ctx, tenant, sessionID(c), sessions.SendInput{
		To: *req.To, Text: *req.Text, IdempotencyKey: idempotencyKey(c),
	})
	if err != nil {
		return err
	}
	return c.Status(http.StatusAccepted).JSON(fiber.Map{"message": newMessageJSON(rec)})
}

func (s *Server) getMessage(c fiber.Ctx, tenant string) error {
	rec, err := s.svc.Message(s.ctx, tenant, sessionID(c), strings.Clone(c.Params("message_id")))
	if err != nil {
		return err
	}
	return c.JSON(newMessageJSON(rec))
}

func (s *Server) listMessages(c fiber.Ctx, tenant string) error {
	limit, err := queryInt(c, "limit", msglog.DefaultLimit)
	if err != nil {
		return err
	}
	if limit > msglog.MaxLimit {
		return invalidRequest("query parameter \"limit\" must be at most " + strconv.Itoa(msglog.MaxLimit))
	}
	var before int64
	if raw := c.Query("before"); raw != "" {
		before, err = strconv.ParseInt(raw, 10, 64)
		if err != nil || before <= 0 {
			return invalidRequest(`query parameter "before" must be a positive integer (a next_before value)`)
		}
	}
	chat := strings.Clone(c.Query("chat"))
	if chat != "" {
		if chat, err = message.NormalizeTo(chat); err != nil {
			return invalidRequest(`query parameter "chat" must be a phone number in international format or a JID`)
		}
	}
	reply, err := s.svc.ListMessages(s.ctx, tenant, sessionID(c), msglog.ListRequest{Chat: chat, Before: before, Limit: limit})
	if err != nil {
		return err
	}
	out := make([]messageJSON, len(reply.Messages))
	for i, e := range reply.Messages {
		out[i] = newLogJSON(e)
	}
	var next any
	if reply.NextBefore > 0 {
		next = strconv.FormatInt(reply.NextBefore, 10)
	}
	return c.JSON(fiber.Map{"messages": out, "next_before": next})
}

func (s *Server) eraseMessages(c fiber.Ctx, tenant string) error {
	n, err := s.svc.EraseMessages(s.ctx, tenant, sessionID(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"success": true, "deleted": n})
}
