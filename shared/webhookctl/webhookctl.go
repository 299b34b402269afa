// Package webhookctl is the request/reply contract between the api and the
// webhook role of the workers (subject.WebhookControl): listing and
// replaying dead letters and sending a test ping. The api owns no database
// writes; the worker answering a request does them.
package webhookctl

import "time"

// Error codes of Reply.Error.
const (
	CodeInvalid   = "invalid_request"
	CodeNoWebhook = "no_webhook"
	CodeInternal  = "internal"
)

// Error is a failed request.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ListRequest pages the dead letters of a session, oldest first.
type ListRequest struct {
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// DeadLetter is one event a webhook did not accept, as the api shows it.
type DeadLetter struct {
	ID         int64     `json:"id"`
	EventID    string    `json:"event_id"`
	EventType  string    `json:"event_type"`
	URL        string    `json:"url"`
	StatusCode int       `json:"status_code"`
	Error      string    `json:"error"`
	Attempts   int       `json:"attempts"`
	FailedAt   time.Time `json:"failed_at"`
}

// ListReply answers ListRequest.
type ListReply struct {
	DeadLetters []DeadLetter `json:"dead_letters"`
	Total       int          `json:"total"`
	Error       *Error       `json:"error,omitempty"`
}

// ReplayRequest asks to re-send dead letters: the listed ids, or all of the
// session's when IDs is empty.
type ReplayRequest struct {
	IDs []int64 `json:"ids,omitempty"`
}

// ReplayReply answers ReplayRequest once the replay is accepted; it runs in
// the background.
type ReplayReply struct {
	Accepted int    `json:"accepted"`
	Error    *Error `json:"error,omitempty"`
}

// TestRequest sends a signed ping to the session's webhook with URL, or to
// its first webhook when URL is empty.
type TestRequest struct {
	URL string `json:"url,omitempty"`
}

// TestReply is the receiver's answer to the ping.
type TestReply struct {
	EventID    string `json:"event_id"`
	URL        string `json:"url"`
	StatusCode int    `json:"status_code"`
	// Delivered is true for a 2xx.
	Delivered bool `json:"delivered"`
	// Failure says why there was no 2xx (transport error or status).
	Failure string `json:"failure,omitempty"`
	Error   *Error `json:"error,omitempty"`
}
