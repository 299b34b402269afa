package httpapi

import (
	"net/url"
	"time"

	"github.com/switchboard-gw/switchboard/shared/session"
)

// sessionJSON is a session on the /api/v1 surface (seed 003, extended).
type sessionJSON struct {
	ID                string       `json:"id"`
	Name              string       `json:"name"`
	PhoneNumber       *string      `json:"phone_number"`
	PushName          *string      `json:"push_name"`
	Status            string       `json:"status"`
	IsLoggedIn        bool         `json:"is_logged_in"`
	CreatedAt         int64        `json:"created_at"`
	UpdatedAt         int64        `json:"updated_at"`
	LastConnectedAt   *int64       `json:"last_connected_at"`
	Webhook           *webhookJSON `json:"webhook"`
	AccountProtection bool         `json:"account_protection"`
	MessageLogging    bool         `json:"message_logging"`
	Proxy             *string      `json:"proxy"`
}

// webhookJSON is a webhook as shown to clients: never with its secret.
type webhookJSON struct {
	URL       string   `json:"url"`
	Events    []string `json:"events"`
	HasSecret bool     `json:"has_secret"`
}

// statusJSON answers GET …/status.
type statusJSON struct {
	Status        string  `json:"status"`
	IsLoggedIn    bool    `json:"is_logged_in"`
	PhoneNumber   *string `json:"phone_number"`
	PushName      *string `json:"push_name"`
	LastError     string  `json:"last_error,omitempty"`
	LastCommandID string  `json:"last_command_id,omitempty"`
}

// deviceJSON answers GET …/device.
type deviceJSON struct {
	DeviceID    int     `json:"device_id"`
	JID         string  `json:"jid,omitempty"`
	PhoneNumber *string `json:"phone_number"`
	LID         *string `json:"lid"`
	PushName    *string `json:"push_name"`
}

func newSessionJSON(rec session.Record) sessionJSON {
	st := rec.State
	v := sessionJSON{
		ID:                rec.ID,
		Name:              rec.Config.Name,
		PhoneNumber:       phoneOf(rec),
		PushName:          optional(st.PushName),
		Status:            st.Status.Waxum(),
		IsLoggedIn:        st.Status.LoggedIn(),
		CreatedAt:         rec.CreatedAt.Unix(),
		UpdatedAt:         latest(rec.UpdatedAt, st.UpdatedAt).Unix(),
		AccountProtection: rec.Config.AccountProtection,
		MessageLogging:    rec.Config.MessageLogging,
		Proxy:             redactedProxy(rec.Config.Proxy),
	}
	if st.LastConnectedAt != nil {
		t := st.LastConnectedAt.Unix()
		v.LastConnectedAt = &t
	}
	if len(rec.Config.Webhooks) > 0 {
		w := rec.Config.Webhooks[0]
		events := w.Events
		if events == nil {
			events = []string{}
		}
		v.Webhook = &webhookJSON{URL: w.URL, Events: events, HasSecret: w.Secret != ""}
	}
	return v
}

func newStatusJSON(rec session.Record) statusJSON {
	return statusJSON{
		Status:        rec.State.Status.Waxum(),
		IsLoggedIn:    rec.State.Status.LoggedIn(),
		PhoneNumber:   phoneOf(rec),
		PushName:      optional(rec.State.PushName),
		LastError:     rec.State.LastError,
		LastCommandID: rec.State.Command,
	}
}

func newDeviceJSON(rec session.Record) deviceJSON {
	return deviceJSON{
		DeviceID:    rec.State.DeviceID,
		JID:         rec.State.DeviceJID,
		PhoneNumber: phoneOf(rec),
		LID:         optional(rec.State.LID),
		PushName:    optional(rec.State.PushName),
	}
}

// phoneOf is the linked phone, or the configured one before linking.
func phoneOf(rec session.Record) *string {
	if rec.State.PhoneNumber != "" {
		return &rec.State.PhoneNumber
	}
	return optional(rec.Config.PhoneNumber)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// redactedProxy hides the proxy password.
func redactedProxy(p string) *string {
	if p == "" {
		return nil
	}
	u, err := url.Parse(p)
	if err != nil {
		return nil
	}
	r := u.Redacted()
	return &r
}
