package httpapi

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v3"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/api/sessions"
)

// RetryAfter is the Retry-After value, in seconds, of 503 answers.
const RetryAfter = "5"

// httpError is an error of the HTTP layer itself (authentication, request
// decoding), with its status, code and client-facing message.
type httpError struct {
	status  int
	code    string
	message string
}

func (e *httpError) Error() string { return "httpapi: " + e.code + ": " + e.message }

// invalidRequest is a 400 invalid_request with a specific message.
func invalidRequest(msg string) error {
	return &httpError{http.StatusBadRequest, "invalid_request", msg}
}

// kindStatus maps each domain error kind to its status and error code.
var kindStatus = map[sessions.Kind]struct {
	status int
	code   string
}{
	sessions.KindInvalidRequest:  {http.StatusBadRequest, "invalid_request"},
	sessions.KindInvalidID:       {http.StatusBadRequest, "invalid_session_id"},
	sessions.KindInvalidPhone:    {http.StatusBadRequest, "invalid_phone_number"},
	sessions.KindInvalidWebhook:  {http.StatusBadRequest, "invalid_webhook_url"},
	sessions.KindNotFound:        {http.StatusNotFound, "session_not_found"},
	sessions.KindDeviceNotLinked: {http.StatusNotFound, "device_not_linked"},
	sessions.KindNoQR:            {http.StatusNotFound, "qr_not_available"},
	sessions.KindExists:          {http.StatusConflict, "session_exists"},
	sessions.KindNameExists:      {http.StatusConflict, "name_exists"},
	sessions.KindAlreadyLoggedIn: {http.StatusConflict, "already_logged_in"},
	sessions.KindSessionRunning:  {http.StatusConflict, "session_running"},
	sessions.KindPairFailed:      {http.StatusUnprocessableEntity, "pair_failed"},
	sessions.KindUnavailable:     {http.StatusServiceUnavailable, "nats_unavailable"},
	sessions.KindPairTimeout:     {http.StatusGatewayTimeout, "pair_timeout"},
	sessions.KindNotReady:        {http.StatusConflict, "session_not_ready"},
	sessions.KindMessageNotFound: {http.StatusNotFound, "message_not_found"},
}

// fiberCodes names Fiber's own errors (routing, body limit, timeouts).
var fiberCodes = map[int]string{
	http.StatusBadRequest:                  "invalid_request",
	http.StatusNotFound:                    "not_found",
	http.StatusMethodNotAllowed:            "method_not_allowed",
	http.StatusRequestTimeout:              "request_timeout",
	http.StatusRequestEntityTooLarge:       "body_too_large",
	http.StatusRequestHeaderFieldsTooLarge: "headers_too_large",
	http.StatusUnsupportedMediaType:        "unsupported_media_type",
	http.StatusNotImplemented:              "not_implemented",
}

// classify returns the status, code and client message of err.
func classify(err error) (status int, code, message string) {
	var de *sessions.Error
	if errors.As(err, &de) {
		if m, ok := kindStatus[de.Kind]; ok {
			return m.status, m.code, de.Message
		}
	}
	var he *httpError
	if errors.As(err, &he) {
		return he.status, he.code, he.message
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code, ok := fiberCodes[fe.Code]
		if !ok {
			code = "http_error"
		}
		msg := fe.Message
		if fe.Code == http.StatusRequestEntityTooLarge {
			msg = "request body is too large"
		}
		return fe.Code, code, msg
	}
	return http.StatusInternalServerError, "internal_error", "internal server error"
}

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// handleError is the app's one error handler: it maps err to a status and
// a JSON error body, and logs what the client cannot fix.
func (s *Server) handleError(c fiber.Ctx, err error) error {
	status, code, message := classify(err)
	if status == http.StatusRequestEntityTooLarge && !s.requestKeyValid(c) {
		// The body was refused unread because no valid key came with it.
		s.authFailed(c)
		status, code, message = classify(errUnauthorized)
	}
	switch {
	case status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		if status == http.StatusServiceUnavailable {
			c.Set(fiber.HeaderRetryAfter, RetryAfter)
		}
		s.log.Warn("request failed", zap.String("method", c.Method()), zap.String("path", c.Path()), zap.Int("status", status), zap.Error(err))
	case status >= http.StatusInternalServerError:
		s.log.Error("request failed", zap.String("method", c.Method()), zap.String("path", c.Path()), zap.Int("status", status), zap.Error(err))
	}
	return c.Status(status).JSON(errorBody{Error: errorDetail{Code: code, Message: message}})
}
