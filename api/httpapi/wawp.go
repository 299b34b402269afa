package httpapi

import (
	"encoding/base64"
	"strings"

	json "github.com/go-json-experiment/json"
	"github.com/gofiber/fiber/v3"

	"github.com/switchboard-gw/switchboard/api/qrimage"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// The Wawp surface (/v2/session/…, seed 002): the instance is named by
// instance_id and the key by access_token, in the query or a JSON body
// (headers work too); statuses in the WASend vocabulary.

// wawpParams are Wawp's request parameters.
type wawpParams struct {
	InstanceID  string `json:"instance_id"`
	AccessToken string `json:"access_token"`
}

// wawpInfoJSON answers GET /v2/session/info.
type wawpInfoJSON struct {
	Name   string         `json:"name"`
	Status string         `json:"status"`
	Config wawpConfigJSON `json:"config"`
	Me     *wawpMeJSON    `json:"me"`
	// QR is the current QR code as a base64 PNG, only in SCAN_QR_CODE.
	QR *string `json:"qr"`
}

type wawpConfigJSON struct {
	Webhooks []webhookJSON `json:"webhooks"`
	Proxy    *string       `json:"proxy"`
}

type wawpMeJSON struct {
	ID       string `json:"id"`
	PushName string `json:"pushName"`
}

func (s *Server) wawpRoutes() {
	g := s.app.Group("/v2/session")
	g.Get("/info", s.wawp(s.wawpInfo))
	g.Post("/info", s.wawp(s.wawpInfo))
	g.Post("/start", s.wawp(s.wawpAction(s.coalesce(s.svc.Connect), "Session starting")))
	g.Post("/stop", s.wawp(s.wawpAction(s.ending(s.svc.Disconnect), "Session stopping")))
	g.Post("/restart", s.wawp(s.wawpAction(s.coalesce(s.svc.Restart), "Session restarting")))
	g.Post("/logout", s.wawp(s.wawpAction(s.ending(s.svc.Logout), "Session logging out")))
	g.Post("/delete", s.wawp(s.wawpAction(s.ending(s.svc.Delete), "Session deleted")))
}

// wawpHandler runs for an authenticated tenant and instance.
type wawpHandler func(c fiber.Ctx, tenant, id string) error

// wawp authenticates access_token (query, then headers, then a JSON
// body) before it parses the body strictly, and passes the instance id on.
// When the key is only in the body, the body is read for access_token
// alone, leniently: a body that yields no valid key is a 401, never a 400
// that would tell an unauthenticated client how its body was parsed (and
// headerReceived already capped such a body's size).
func (s *Server) wawp(h wawpHandler) fiber.Handler {
	return func(c fiber.Ctx) error {
		jsonBody := len(c.BodyRaw()) > 0 && strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON)
		key := strings.TrimSpace(c.Query("access_token"))
		if key == "" {
			key = headerKey(c)
		}
		if key == "" && jsonBody {
			key = bodyToken(c.BodyRaw())
		}
		p, err := s.authenticate(c, key)
		if err != nil {
			return err
		}
		instance := c.Query("instance_id")
		if jsonBody {
			var body wawpParams
			if err := decodeJSON(c.BodyRaw(), &body, true); err != nil {
				return err
			}
			instance = cmpOr(body.InstanceID, instance)
		}
		if instance == "" {
			return invalidRequest("instance_id is required")
		}
		if err := s.authorize(c, p, instance, true); err != nil {
			return err
		}
		return h(c, p.tenant, strings.Clone(instance))
	}
}

// bodyToken reads access_token from a JSON body, or "" when there is none.
func bodyToken(body []byte) string {
	var v struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	return strings.TrimSpace(v.AccessToken)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *Server) wawpInfo(c fiber.Ctx, tenant, id string) error {
	rec, p, err := s.svc.QR(tenant, id)
	if err != nil {
		return err
	}
	v := wawpInfoJSON{
		Name:   cmpOr(rec.Config.Name, rec.ID),
		Status: rec.State.Status.WASend(),
		Config: wawpConfigJSON{Webhooks: []webhookJSON{}, Proxy: redactedProxy(rec.Config.Proxy)},
	}
	for _, w := range rec.Config.Webhooks {
		v.Config.Webhooks = append(v.Config.Webhooks, webhookJSON{URL: w.URL, Events: cmpSlice(w.Events), HasSecret: w.Secret != ""})
	}
	if rec.State.Status == session.StatusWorking && rec.State.PhoneNumber != "" {
		v.Me = &wawpMeJSON{ID: rec.State.PhoneNumber + "@c.us", PushName: rec.State.PushName}
	}
	if rec.State.Status == session.StatusScanQR && len(p.QRCodes) > 0 {
		png, err := qrimage.PNG(p.QRCodes[0])
		if err != nil {
			return err
		}
		qr := base64.StdEncoding.EncodeToString(png)
		v.QR = &qr
	}
	return c.JSON(v)
}

func cmpSlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// wawpAction answers a lifecycle action at once.
func (s *Server) wawpAction(do actionFunc, message string) wawpHandler {
	return func(c fiber.Ctx, tenant, id string) error {
		res, err := do(s.ctx, tenant, id, idempotencyKey(c))
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"success": true, "message": message, "command_id": res.CommandID,
			"status": res.Session.State.Status.WASend()})
	}
}
