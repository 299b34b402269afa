// Package sessions is the core of the api: it validates requests, writes
// session records to KV with compare-and-set, publishes commands to WA_CMD
// and answers reads from the mirror. Every HTTP surface maps onto it.
package sessions

import (
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/api/mirror"
	"github.com/switchboard-gw/switchboard/shared/netguard"
)

// Defaults.
const (
	DefaultPairWait  = 25 * time.Second
	DefaultOpTimeout = 5 * time.Second
	// maxCASAttempts bounds the re-read-and-retry loop of a record update.
	maxCASAttempts = 16
	// casBackoff scales the random wait between CAS attempts.
	casBackoff = 500 * time.Microsecond
)

// Config configures a Service.
type Config struct {
	// NC is the NATS connection; its status decides "unavailable". Required.
	NC *nats.Conn
	// JS publishes commands. Required.
	JS jetstream.JetStream
	// Sessions is the wa_sessions bucket. Required.
	Sessions jetstream.KeyValue
	// Mirror answers reads. Required.
	Mirror *mirror.Mirror
	// PairWait caps how long Pair waits for the worker's pair code.
	PairWait time.Duration
	// OpTimeout bounds each NATS operation of a request.
	OpTimeout time.Duration
	// WebhookGuard refuses webhook URLs aimed at private, loopback or
	// metadata addresses (SWITCHBOARD_WEBHOOK_ALLOW_*); the workers check
	// again at dial time.
	WebhookGuard netguard.Policy
}

func (c *Config) defaults() {
	if c.PairWait <= 0 {
		c.PairWait = DefaultPairWait
	}
	if c.OpTimeout <= 0 {
		c.OpTimeout = DefaultOpTimeout
	}
}

// Validate reports missing dependencies.
func (c Config) Validate() error {
	if c.NC == nil || c.JS == nil || c.Sessions == nil || c.Mirror == nil {
		return errors.New("sessions: NC, JS, Sessions and Mirror are required")
	}
	return nil
}

// Service is the session core shared by every api surface.
type Service struct {
	cfg Config
	log *zap.Logger
	now func() time.Time

	// createMu serialises the name check and the KV create of this process,
	// so two concurrent creates here cannot both take a name.
	createMu sync.Mutex
}

// New returns a Service.
func New(cfg Config, log *zap.Logger) (*Service, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, log: log.Named("sessions"), now: func() time.Time { return time.Now().UTC() }}, nil
}
