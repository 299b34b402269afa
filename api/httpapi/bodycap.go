package httpapi

import (
	"bytes"
	"strings"

	"github.com/gofiber/fiber/v3"
	"github.com/valyala/fasthttp"
)

// headerReceived runs once a request's headers are in, before its body is
// read (fasthttp's HeaderReceived hook). A request whose headers and query
// carry no valid key gets a small body cap, so unauthenticated clients
// cannot make the server buffer large bodies: one with a larger
// Content-Length is refused without reading it (handleError turns that into
// 401), and a chunked one is cut off at the cap.
func (s *Server) headerReceived(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if _, ok := s.auth.lookup(rawKey(h)); ok {
		return fasthttp.RequestConfig{}
	}
	return fasthttp.RequestConfig{MaxRequestBodySize: s.cfg.UnauthBodyLimit}
}

// rawKey is the key of the raw headers: the bearer token, X-Api-Key, or the
// access_token query parameter (Wawp).
func rawKey(h *fasthttp.RequestHeader) string {
	if a := h.Peek(fiber.HeaderAuthorization); len(a) > 7 && strings.EqualFold(string(a[:7]), "bearer ") {
		return strings.TrimSpace(string(a[7:]))
	}
	if k := bytes.TrimSpace(h.Peek("X-Api-Key")); len(k) > 0 {
		return string(k)
	}
	uri := h.RequestURI()
	i := bytes.IndexByte(uri, '?')
	if i < 0 {
		return ""
	}
	var args fasthttp.Args
	args.ParseBytes(uri[i+1:])
	return strings.TrimSpace(string(args.Peek("access_token")))
}

// requestKeyValid reports whether the request carries a valid key in its
// headers or query (what headerReceived decided on).
func (s *Server) requestKeyValid(c fiber.Ctx) bool {
	_, ok := s.auth.lookup(rawKey(&c.RequestCtx().Request.Header))
	return ok
}
