package httpapi

import (
	"encoding/base64"
	"strings"

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
	g.Post("/start", s.wawp(s.wawpAction(s.svc.Connect, "Session starting")))
	g.Post("/stop", s.wawp(s.wawpAction(s.svc.Disconnect, "Session stopping")))
	g.Post("/restart", s.wawp(s.wawpAction(s.svc.Restart, "Session restarting")))
	g.Post("/logout", s.wawp(s.wawpAction(s.svc.Logout, "Session logging out")))
	g.Post("/delete", s.wawp(s.wawpAction(s.svc.Delete, "Session deleted")))
}

// wawpHandler runs for an authenticated tenant and instance.
type wawpHandler func(c fiber.Ctx, tenant, id string) error

// wawp reads the parameters, authenticates access_token (or the headers)
// and passes the instance id on.
func (s *Server) wawp(h wawpHandler) fiber.Handler {
	return func(c fiber.Ctx) error {
		p := wawpParams{InstanceID: c.Query("instance_id"), AccessToken: c.Query("access_token")}
		if len(c.BodyRaw()) > 0 && strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
			var body wawpParams
			if err := decodeJSON(c.BodyRaw(), &body, true); err != nil {
				return err
			}
			p.InstanceID = cmpOr(body.InstanceID, p.InstanceID)
			p.AccessToken = cmpOr(body.AccessToken, p.AccessToken)
		}
		tenant, ok := s.auth.lookup(strings.TrimSpace(p.AccessToken))
		if !ok {
			if tenant, ok = s.auth.tenant(c); !ok {
				return errUnauthorized
			}
		}
		if p.InstanceID == "" {
			return invalidRequest("instance_id is required")
		}
		return h(c, tenant, strings.Clone(p.InstanceID))
	}
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
