// Package event defines the typed events published on
// wa.evt.<tenant>.<session>.<type> in stream WA_EVT. Field names are a public
// contract.
package event

import (
	"encoding/json"
	"time"
)

// Type names an event; it is the last token of the event subject.
type Type string

// Event types.
const (
	// StatusChanged fires whenever the observed status of a session changes.
	StatusChanged Type = "session_status"
	// QR fires when new QR codes are available for linking.
	QR Type = "qr"
	// PairCode fires when a pair code was issued.
	PairCode Type = "pair_code"
	// LoggedIn fires when a device logs in (after linking or reconnecting).
	LoggedIn Type = "logged_in"
	// LoggedOut fires when the phone unlinked the device or login was refused.
	LoggedOut Type = "session_logged_out"
	// PushNameChanged fires when the linked account's push name is learned
	// (the first app-state sync after linking) or changes later (the user
	// renamed themselves on the phone). It does not fire when a reconnect
	// or restart finds the same name.
	PushNameChanged Type = "push_name"
	// MessageReceived fires for an inbound message.
	MessageReceived Type = "message"
	// RestartGivenUp fires when the scheduler stops restarting a session.
	RestartGivenUp Type = "restart_given_up"
	// ShardOrphaned fires when a shard has no live owner.
	ShardOrphaned Type = "shard_orphaned"
	// Ping is sent only to a webhook, on request (POST …/webhooks/test), to
	// check that it receives and verifies deliveries; it is never published.
	Ping Type = "ping"
)

// Envelope is the body of every event.
type Envelope struct {
	// ID is stable for de-duplication (also the Nats-Msg-Id).
	ID      string          `json:"id"`
	Type    Type            `json:"type"`
	Tenant  string          `json:"tenant"`
	Session string          `json:"session"`
	Time    time.Time       `json:"time"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// Status is the data of StatusChanged.
type Status struct {
	Status    string `json:"status"`
	Previous  string `json:"previous,omitempty"`
	LastError string `json:"last_error,omitempty"`
}

// PushName is the data of PushNameChanged.
type PushName struct {
	// PushName is the account's push name now.
	PushName string `json:"push_name"`
	// Previous is the name shown before, empty the first time.
	Previous string `json:"previous,omitempty"`
}

// Message is the data of Message.
type Message struct {
	ID       string `json:"id"`
	From     string `json:"from"`
	Chat     string `json:"chat"`
	PushName string `json:"push_name,omitempty"`
	Text     string `json:"text,omitempty"`
}
