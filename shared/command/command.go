// Package command defines the session commands the api publishes to WA_CMD
// and the workers apply.
package command

import (
	"encoding/json"
	"fmt"
	"time"
)

// Verb is what a command asks of a session. It is the last token of the
// command subject.
type Verb string

// Verbs.
const (
	// Start connects the session (no-op when it is already running).
	Start Verb = "start"
	// Stop disconnects the session without unlinking the device.
	Stop Verb = "stop"
	// Restart disconnects and connects again.
	Restart Verb = "restart"
	// Pair starts pair-code linking for Phone.
	Pair Verb = "pair"
	// Logout unlinks the device; the session stays.
	Logout Verb = "logout"
	// Delete disconnects, unlinks and removes the session.
	Delete Verb = "delete"
	// Send sends one text message (To, Text, MessageID).
	Send Verb = "send"
)

// Valid reports whether v is a known verb.
func (v Verb) Valid() bool {
	switch v {
	case Start, Stop, Restart, Pair, Logout, Delete, Send:
		return true
	}
	return false
}

// Command is one command for one session.
type Command struct {
	ID       string    `json:"id"`
	Tenant   string    `json:"tenant"`
	Session  string    `json:"session"`
	Verb     Verb      `json:"verb"`
	IssuedAt time.Time `json:"issued_at"`
	// Phone is the number to pair with (Pair only), digits without plus.
	Phone string `json:"phone,omitempty"`
	// ShowPushNotification asks the phone to show a notification (Pair only).
	ShowPushNotification bool `json:"show_push_notification,omitempty"`
	// Reason says who asked and why (api, scheduler sweep…).
	Reason string `json:"reason,omitempty"`
	// To is the recipient JID (Send only).
	To string `json:"to,omitempty"`
	// Text is the message text (Send only).
	Text string `json:"text,omitempty"`
	// MessageID is the WhatsApp message id, fixed by the api from the
	// command id (Send only).
	MessageID string `json:"message_id,omitempty"`
}

// Encode returns the JSON body of c.
func (c Command) Encode() ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("command: encode: %w", err)
	}
	return b, nil
}

// Decode parses a command body.
func Decode(b []byte) (Command, error) {
	var c Command
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("command: decode: %w", err)
	}
	if !c.Verb.Valid() {
		return c, fmt.Errorf("command: unknown verb %q", c.Verb)
	}
	return c, nil
}
