// Package session holds the session record: configuration, desired state and
// observed state, as stored in the wa_sessions KV bucket.
package session

import "time"

// Desired is what the tenant asked for.
type Desired string

// Desired states.
const (
	DesiredRunning Desired = "running"
	DesiredStopped Desired = "stopped"
	DesiredDeleted Desired = "deleted"
)

// Webhook is one webhook target of a session.
type Webhook struct {
	URL    string   `json:"url"`
	Events []string `json:"events,omitempty"`
	Secret string   `json:"secret,omitempty"`
}

// Config is the tenant-set configuration of a session.
type Config struct {
	Name              string    `json:"name,omitempty"`
	PhoneNumber       string    `json:"phone_number,omitempty"`
	AccountProtection bool      `json:"account_protection"`
	MessageLogging    bool      `json:"message_logging"`
	Proxy             string    `json:"proxy,omitempty"`
	Webhooks          []Webhook `json:"webhooks,omitempty"`
	// MessageRate is how many messages per second account protection lets
	// the session send (0: DefaultMessageRate).
	MessageRate float64 `json:"message_rate,omitempty"`
	// MessageBurst is how many messages it may send at once after a quiet
	// spell (0: DefaultMessageBurst).
	MessageBurst int `json:"message_burst,omitempty"`
}

// Account protection defaults for outgoing messages.
const (
	DefaultMessageRate  = 1.0
	DefaultMessageBurst = 3
)

// Pace returns the session's message rate and burst, defaults applied.
func (c Config) Pace() (rate float64, burst int) {
	rate, burst = c.MessageRate, c.MessageBurst
	if rate <= 0 {
		rate = DefaultMessageRate
	}
	if burst <= 0 {
		burst = DefaultMessageBurst
	}
	return rate, burst
}

// LivenessPeriod is the contract between workers and the scheduler: while a
// session is WORKING and its socket is healthy, the owning worker vouches
// for it at least this often, in its shard's ShardLiveness record.
const LivenessPeriod = 30 * time.Second

// ShardLiveness is what the owner of a shard writes, at least every
// LivenessPeriod, into the wa_shard_liveness bucket instead of one
// LastKeepalive write per session: at At, every session of the shard that
// is WORKING under Owner and Epoch had a healthy socket, except the ones
// listed in Stale (keys <tenant>.<session>), whose socket was dead, missing
// keepalives, or whose actor did not answer.
type ShardLiveness struct {
	Owner string    `json:"owner"`
	Epoch uint64    `json:"epoch"`
	At    time.Time `json:"at"`
	Stale []string  `json:"stale,omitempty"`
}

// State is the observed state, written by the owning worker.
type State struct {
	Status Status `json:"status"`
	// StatusSince is when Status last changed (zero in records written
	// before it existed).
	StatusSince     time.Time  `json:"status_since,omitzero"`
	DeviceJID       string     `json:"device_jid,omitempty"`
	DeviceID        int        `json:"device_id,omitempty"`
	LID             string     `json:"lid,omitempty"`
	PhoneNumber     string     `json:"phone_number,omitempty"`
	PushName        string     `json:"push_name,omitempty"`
	LastError       string     `json:"last_error,omitempty"`
	Owner           string     `json:"owner,omitempty"`
	Epoch           uint64     `json:"epoch,omitempty"`
	LastConnectedAt *time.Time `json:"last_connected_at,omitempty"`
	// LastKeepalive is the last time the worker saw the socket healthy.
	LastKeepalive *time.Time `json:"last_keepalive,omitempty"`
	// Command is the id of the last command the worker applied.
	Command   string    `json:"command,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Record is one session as stored in KV.
type Record struct {
	Tenant    string    `json:"tenant"`
	ID        string    `json:"id"`
	Config    Config    `json:"config"`
	Desired   Desired   `json:"desired"`
	State     State     `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// CreateKey is the hex SHA-256 of the Idempotency-Key the session was
	// created with, so a repeated create answers this record.
	CreateKey string `json:"create_key,omitempty"`
}

// Pairing is the linking material of a session in the wa_pairing bucket.
type Pairing struct {
	QRCodes        []string  `json:"qr_codes,omitempty"`
	Code           string    `json:"code,omitempty"`
	TimeoutSeconds int       `json:"timeout_seconds"`
	Command        string    `json:"command,omitempty"`
	Error          string    `json:"error,omitempty"`
	UpdatedAt      time.Time `json:"updated_at"`
}
