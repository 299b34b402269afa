package httpapi

import (
	"github.com/gofiber/fiber/v3"

	"github.com/switchboard-gw/switchboard/api/qrimage"
	"github.com/switchboard-gw/switchboard/api/sessions"
)

// pairRequest is the body of POST …/pair.
type pairRequest struct {
	PhoneNumber          string `json:"phone_number"`
	ShowPushNotification bool   `json:"show_push_notification"`
}

// pairJSON answers POST …/pair.
type pairJSON struct {
	Code           string `json:"code"`
	TimeoutSeconds int    `json:"timeout_seconds"`
}

// qrJSON answers GET …/qr.
type qrJSON struct {
	QRCodes        []string `json:"qr_codes"`
	TimeoutSeconds int      `json:"timeout_seconds"`
	Status         string   `json:"status"`
}

func (s *Server) pair(c fiber.Ctx, tenant string) error {
	id := sessionID(c)
	var req pairRequest
	if err := decodeJSON(c.BodyRaw(), &req, false); err != nil {
		return err
	}
	p, err := s.svc.Pair(s.ctx, tenant, id, sessions.PairInput{
		Phone:                req.PhoneNumber,
		ShowPushNotification: req.ShowPushNotification,
		IdempotencyKey:       idempotencyKey(c),
	})
	if err != nil {
		return err
	}
	return c.JSON(pairJSON{Code: p.Code, TimeoutSeconds: p.TimeoutSeconds})
}

func (s *Server) qr(c fiber.Ctx, tenant string) error {
	rec, p, err := s.svc.QR(tenant, sessionID(c))
	if err != nil {
		return err
	}
	format := c.Query("format", "json")
	if format == "json" {
		codes := p.QRCodes
		if codes == nil {
			codes = []string{}
		}
		return c.JSON(qrJSON{QRCodes: codes, TimeoutSeconds: p.TimeoutSeconds, Status: rec.State.Status.Waxum()})
	}
	if format != "png" && format != "svg" {
		return invalidRequest(`query parameter "format" must be json, png or svg`)
	}
	if len(p.QRCodes) == 0 {
		return sessions.ErrNoQR
	}
	if format == "png" {
		img, err := qrimage.PNG(p.QRCodes[0])
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "image/png")
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Send(img)
	}
	img, err := qrimage.SVG(p.QRCodes[0])
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/svg+xml")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(img)
}
