// Package message defines outbound and inbound text messages as Switchboard
// keeps them: the per-message record in KV bucket wa_messages, the status
// lifecycle pending → sent → delivered → read (or failed), the message id
// derived from the send command's id, and recipient and text validation.
package message

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Status is where an outbound message is in its lifecycle.
type Status string

// Statuses. An inbound message is always StatusReceived.
const (
	StatusPending   Status = "pending"
	StatusSent      Status = "sent"
	StatusDelivered Status = "delivered"
	StatusRead      Status = "read"
	StatusFailed    Status = "failed"
	StatusReceived  Status = "received"
)

// Direction says who wrote a message.
type Direction string

// Directions.
const (
	Outbound Direction = "outbound"
	Inbound  Direction = "inbound"
)

// Failure reasons (Record.Error of a failed message).
const (
	ErrNotOnWhatsApp = "not_on_whatsapp"
	ErrLoggedOut     = "session_logged_out"
	ErrTimedOut      = "timed_out"
	ErrSendFailed    = "send_failed"
	// ErrTextLost: the text was gone before the message's turn (every NATS
	// server restarted meanwhile: texts are kept in memory only).
	ErrTextLost = "text_lost"
)

// rank orders statuses; a status only ever moves to a higher rank. failed
// ranks above sent but a delivered or read message never fails.
func (s Status) rank() int {
	switch s {
	case StatusPending:
		return 1
	case StatusSent:
		return 2
	case StatusFailed:
		return 3
	case StatusDelivered:
		return 4
	case StatusRead:
		return 5
	}
	return 0
}

// Advances reports whether moving from s to next is a step forward.
func (s Status) Advances(next Status) bool {
	if s == StatusFailed {
		return false
	}
	return next.rank() > s.rank()
}

// Final reports whether the text of a message in status s is no longer
// needed to send it (sent to the phone and delivered, or failed).
func (s Status) Final() bool {
	return s == StatusDelivered || s == StatusRead || s == StatusFailed
}

// Steps returns the statuses a message passes through moving from prev to
// next, in order (pending → read passes sent and delivered), so that every
// step is reported even when a receipt overtakes the send's own update.
func Steps(prev, next Status) []Status {
	if next == StatusFailed {
		return []Status{StatusFailed}
	}
	var out []Status
	for _, st := range []Status{StatusSent, StatusDelivered, StatusRead} {
		if st.rank() > prev.rank() && st.rank() <= next.rank() {
			out = append(out, st)
		}
	}
	return out
}

// Record is one message as the api answers it. In KV the record is stored
// without Text; the text has its own key until delivery.
type Record struct {
	ID        string    `json:"id"`
	Direction Direction `json:"direction"`
	To        string    `json:"to"`
	From      string    `json:"from,omitempty"`
	Text      string    `json:"text,omitempty"`
	Status    Status    `json:"status"`
	Error     string    `json:"error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Logging records whether the session logged messages when it was
	// accepted (the text key is kept after delivery only then).
	Logging bool `json:"logging,omitempty"`
}

// idPrefix is the prefix WhatsApp Web message ids carry (whatsmeow's
// WebMessageIDPrefix).
const idPrefix = "3EB0"

// IDFromCommand derives the WhatsApp message id from a send command's id:
// the same command (a retried Idempotency-Key, a redelivery, a failover)
// always sends the same id, and the phone shows a message id once.
func IDFromCommand(commandID string) string {
	sum := sha256.Sum256([]byte("switchboard/send/" + commandID))
	return idPrefix + strings.ToUpper(hex.EncodeToString(sum[:9]))
}
