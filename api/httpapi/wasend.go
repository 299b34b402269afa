package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/switchboard-gw/switchboard/api/sessions"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// The WASend surface (/sessions…, seeds 000, 001, 004): camelCase fields,
// statuses in the WASend vocabulary, sessions created without starting.

// wasendCreateRequest is the body of POST /sessions.
type wasendCreateRequest struct {
	SessionName             string    `json:"sessionName"`
	PhoneNumber             string    `json:"phoneNumber"`
	EnableAccountProtection *flexBool `json:"enableAccountProtection"`
	EnableMessageLogging    *flexBool `json:"enableMessageLogging"`
	EnableWebhook           *flexBool `json:"enableWebhook"`
	WebhookURL              string    `json:"webhookUrl"`
}

// wasendSessionJSON is a session on the WASend surface.
type wasendSessionJSON struct {
	UniqueSessionID string           `json:"uniqueSessionId"`
	SessionName     string           `json:"sessionName"`
	PhoneNumber     string           `json:"phoneNumber"`
	Status          string           `json:"status"`
	CreatedAt       string           `json:"createdAt"`
	UpdatedAt       string           `json:"updatedAt"`
	Config          wasendConfigJSON `json:"config"`
}

type wasendConfigJSON struct {
	EnableAccountProtection bool   `json:"enableAccountProtection"`
	EnableMessageLogging    bool   `json:"enableMessageLogging"`
	EnableWebhook           bool   `json:"enableWebhook"`
	WebhookURL              string `json:"webhookUrl"`
}

func newWASendSession(rec session.Record) wasendSessionJSON {
	v := wasendSessionJSON{
		UniqueSessionID: rec.ID,
		SessionName:     rec.Config.Name,
		PhoneNumber:     rec.Config.PhoneNumber,
		Status:          rec.State.Status.WASend(),
		CreatedAt:       rec.CreatedAt.UTC().Format(time.RFC3339),
		UpdatedAt:       latest(rec.UpdatedAt, rec.State.UpdatedAt).UTC().Format(time.RFC3339),
		Config: wasendConfigJSON{
			EnableAccountProtection: rec.Config.AccountProtection,
			EnableMessageLogging:    rec.Config.MessageLogging,
		},
	}
	if rec.State.PhoneNumber != "" {
		v.PhoneNumber = rec.State.PhoneNumber
	}
	if len(rec.Config.Webhooks) > 0 {
		v.Config.EnableWebhook, v.Config.WebhookURL = true, rec.Config.Webhooks[0].URL
	}
	return v
}

// input validates the WASend-only rules (name and phone required, a URL
// when webhooks are on) and converts to the core's input.
func (r wasendCreateRequest) input(idemKey string) (sessions.CreateInput, error) {
	if r.SessionName == "" {
		return sessions.CreateInput{}, invalidRequest("sessionName is required")
	}
	if r.PhoneNumber == "" {
		return sessions.CreateInput{}, sessions.ErrInvalidPhone
	}
	cfg := session.Config{
		Name:              r.SessionName,
		PhoneNumber:       r.PhoneNumber,
		AccountProtection: r.EnableAccountProtection.value(true),
		MessageLogging:    r.EnableMessageLogging.value(false),
	}
	// A URL is checked even with webhooks off: dropping a bad one silently
	// would hide the client's mistake until it turns webhooks on.
	if r.WebhookURL != "" && session.ValidateWebhookURL(r.WebhookURL) != nil {
		return sessions.CreateInput{}, sessions.ErrInvalidWebhook
	}
	if r.EnableWebhook.value(false) {
		if r.WebhookURL == "" {
			return sessions.CreateInput{}, sessions.ErrInvalidWebhook
		}
		cfg.Webhooks = []session.Webhook{{URL: r.WebhookURL}}
	}
	return sessions.CreateInput{Config: cfg, IdempotencyKey: idemKey, Stopped: true}, nil
}

func (s *Server) wasendRoutes() {
	g := s.app.Group("/sessions")
	g.Post("/", s.authed(s.wasendCreate))
	g.Get("/", s.authed(s.wasendList))
	g.Get("/:id", s.authed(s.wasendGet))
	g.Delete("/:id", s.authed(s.deleteSession))
	g.Post("/:id/start", s.authed(s.wasendAction(s.coalesce(s.svc.Connect))))
	g.Post("/:id/stop", s.authed(s.wasendAction(s.ending(s.svc.Disconnect))))
	g.Post("/:id/restart", s.authed(s.wasendRestart))
	g.Post("/:id/logout", s.authed(s.wasendAction(s.ending(s.svc.Logout))))
}

func (s *Server) wasendCreate(c fiber.Ctx, tenant string) error {
	var req wasendCreateRequest
	if err := decodeJSON(c.BodyRaw(), &req, false); err != nil {
		return err
	}
	in, err := req.input(idempotencyKey(c))
	if err != nil {
		return err
	}
	rec, replayed, err := s.svc.Create(s.ctx, tenant, in)
	if err != nil {
		return err
	}
	return c.Status(createdStatus(replayed)).JSON(newWASendSession(rec))
}

func (s *Server) wasendList(c fiber.Ctx, tenant string) error {
	limit, err := queryInt(c, "limit", sessions.MaxLimit)
	if err != nil {
		return err
	}
	offset, err := queryInt(c, "offset", 0)
	if err != nil {
		return err
	}
	recs, _ := s.list(c, tenant, offset, limit)
	out := make([]wasendSessionJSON, len(recs))
	for i, rec := range recs {
		out[i] = newWASendSession(rec)
	}
	return c.JSON(out)
}

func (s *Server) wasendGet(c fiber.Ctx, tenant string) error {
	rec, err := s.svc.Get(tenant, sessionID(c))
	if err != nil {
		return err
	}
	return c.JSON(newWASendSession(rec))
}

// wasendRestart restarts a stopped or failed session and answers with the
// session as the accepted command leaves it, STARTING (seed 004); a running
// session is 409 session_running and nothing is published.
func (s *Server) wasendRestart(c fiber.Ctx, tenant string) error {
	res, err := s.svc.RestartStopped(s.ctx, tenant, sessionID(c), idempotencyKey(c))
	if err != nil {
		return err
	}
	v := newWASendSession(res.Session)
	v.Status = string(session.StatusStarting)
	return c.JSON(v)
}

// wasendAction answers a lifecycle action with the session, as seed 004.
func (s *Server) wasendAction(do actionFunc) tenantHandler {
	return func(c fiber.Ctx, tenant string) error {
		res, err := do(s.ctx, tenant, sessionID(c), idempotencyKey(c))
		if err != nil {
			return err
		}
		return c.JSON(newWASendSession(res.Session))
	}
}
