package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/switchboard-gw/switchboard/api/sessions"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// DefaultHeartbeat is how often an idle event stream gets a comment line,
// so that proxies keep it open and the client notices a dead server.
const DefaultHeartbeat = 15 * time.Second

// streamEvents serves GET /api/v1/events: Server-Sent Events, one `data:`
// line per event envelope exactly as published on NATS, for the caller's
// sessions (?session= narrows it to one). A reader that cannot keep up is
// dropped (the client reconnects) and never holds up the others.
//
// The SSE framing is written here rather than through a library: the Go
// SSE libraries (r3labs/sse, tmaxmax/go-sse) serve net/http, and Fiber's
// stream writer already gives what they would (a flushable writer).
func (s *Server) streamEvents(c fiber.Ctx, tenant string) error {
	only := c.Query("session")
	if only != "" && !session.ValidID(only) {
		return sessions.ErrInvalidID
	}
	r, err := s.hub.Subscribe(tenant, only)
	if err != nil {
		return sessions.ErrUnavailable
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	heartbeat, done := s.cfg.EventHeartbeat, s.ctx.Done()
	return c.SendStreamWriter(func(w *bufio.Writer) {
		defer r.Close()
		if _, err := w.WriteString(": connected\n\n"); err != nil || w.Flush() != nil {
			return
		}
		tick := time.NewTicker(heartbeat)
		defer tick.Stop()
		for {
			select {
			case data := <-r.Events():
				if writeEvent(w, data) != nil || w.Flush() != nil {
					return
				}
			case <-tick.C:
				if _, err := w.WriteString(": ping\n\n"); err != nil || w.Flush() != nil {
					return
				}
			case <-r.Dropped():
				_, _ = w.WriteString(": dropped: too slow, reconnect\n\n")
				_ = w.Flush()
				return
			case <-done:
				return
			}
		}
	})
}

// writeEvent writes one envelope as an SSE event: its id (for the client's
// Last-Event-ID) and one data line (the JSON has no raw newlines).
func writeEvent(w *bufio.Writer, data []byte) error {
	var head struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(data, &head) == nil && head.ID != "" && !strings.ContainsAny(head.ID, "\r\n") {
		w.WriteString("id: ")
		w.WriteString(head.ID)
		w.WriteString("\n")
	}
	w.WriteString("data: ")
	w.Write(bytes.ReplaceAll(data, []byte("\n"), nil))
	_, err := w.WriteString("\n\n")
	return err
}
