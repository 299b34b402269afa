package sessions

import "errors"

// Kind classifies a domain error; each api surface maps a kind to its own
// status code and error code.
type Kind int

// Kinds of domain errors.
const (
	KindInternal Kind = iota
	KindInvalidRequest
	KindInvalidID
	KindInvalidPhone
	KindInvalidWebhook
	KindNotFound
	KindExists
	KindNameExists
	KindAlreadyLoggedIn
	KindDeviceNotLinked
	KindNoQR
	KindPairFailed
	KindPairTimeout
	KindUnavailable
	KindSessionRunning
	KindNotReady
	KindMessageNotFound
)

// Error is a domain error. Message is safe to show to the client; Err, the
// cause, is for logs only.
type Error struct {
	Kind    Kind
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return "sessions: " + e.Message + ": " + e.Err.Error()
	}
	return "sessions: " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches any *Error of the same kind, so errors.Is(err, ErrNotFound)
// holds for every not-found error whatever its message.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Kind == e.Kind
}

// Sentinel errors, one per kind.
var (
	ErrInvalidRequest  = &Error{Kind: KindInvalidRequest, Message: "invalid request"}
	ErrInvalidID       = &Error{Kind: KindInvalidID, Message: "session id must match [A-Za-z0-9_-]{1,64}"}
	ErrInvalidPhone    = &Error{Kind: KindInvalidPhone, Message: "phone number must be in international format, e.g. +15551234567"}
	ErrInvalidWebhook  = &Error{Kind: KindInvalidWebhook, Message: "webhook url must be an absolute http or https url"}
	ErrNotFound        = &Error{Kind: KindNotFound, Message: "session not found"}
	ErrExists          = &Error{Kind: KindExists, Message: "a session with this id already exists"}
	ErrNameExists      = &Error{Kind: KindNameExists, Message: "a session with this name already exists"}
	ErrAlreadyLoggedIn = &Error{Kind: KindAlreadyLoggedIn, Message: "session is already logged in"}
	ErrDeviceNotLinked = &Error{Kind: KindDeviceNotLinked, Message: "no device is linked to this session"}
	ErrNoQR            = &Error{Kind: KindNoQR, Message: "no QR code is available for this session"}
	ErrPairFailed      = &Error{Kind: KindPairFailed, Message: "pairing failed"}
	ErrPairTimeout     = &Error{Kind: KindPairTimeout, Message: "no pair code arrived in time"}
	ErrUnavailable     = &Error{Kind: KindUnavailable, Message: "nats is unavailable, retry later"}
	ErrSessionRunning  = &Error{Kind: KindSessionRunning, Message: "session is already running; only a STOPPED, FAILED or CREATED session can be restarted"}
	ErrNotReady        = &Error{Kind: KindNotReady, Message: "session is not WORKING"}
	ErrMessageNotFound = &Error{Kind: KindMessageNotFound, Message: "message not found"}
)

// invalid returns an ErrInvalidRequest-kind error with a specific message.
func invalid(msg string) error {
	return &Error{Kind: KindInvalidRequest, Message: msg}
}

// withMessage returns an error of base's kind with a specific message and cause.
func withMessage(base *Error, msg string, cause error) error {
	return &Error{Kind: base.Kind, Message: msg, Err: cause}
}
