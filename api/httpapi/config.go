package httpapi

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-gw/switchboard/shared/config"
	"github.com/switchboard-gw/switchboard/shared/netguard"
	"github.com/switchboard-gw/switchboard/shared/ops"
	"github.com/switchboard-gw/switchboard/shared/secretbox"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/shard"
)

// Defaults of Config.
const (
	DefaultAddr      = config.ClusterHTTPAddr
	DefaultBodyLimit = 1 << 20
	// DefaultUnauthBodyLimit caps the body of a request whose headers and
	// query carry no valid key (enough for a Wawp access_token body).
	DefaultUnauthBodyLimit = 16 << 10
	DefaultPairWait        = 25 * time.Second
	// DefaultWebhookWait outlasts the workers' 10 s delivery timeout.
	DefaultWebhookWait = 15 * time.Second
	// AdminTenant is the tenant the admin key acts as.
	AdminTenant = "default"
)

// Config configures the HTTP api.
type Config struct {
	// Addr is the listen address; ":0" picks a free port (see Server.Addr).
	Addr string
	// AdminKey is the bootstrap bearer key; it acts as tenant "default".
	AdminKey string
	// TenantKeys maps an api key to its tenant (config.ParseTenantKeys).
	TenantKeys map[string]string
	// Shards is the shard count N, reported by the status endpoint.
	Shards int
	// BodyLimit is the largest accepted request body in bytes.
	BodyLimit int
	// PairWait caps how long POST …/pair waits for the worker's code.
	PairWait time.Duration
	// EventHeartbeat is how often an idle GET /api/v1/events stream gets a
	// comment line (default DefaultHeartbeat).
	EventHeartbeat time.Duration
	// EventBuffer is how many events a GET /api/v1/events reader may lag
	// behind before it is dropped (default events.DefaultBuffer).
	EventBuffer int
	// Registry receives the api's metrics and is served on /metrics
	// (default: a new ops.NewRegistry; the standalone passes the one all of
	// its roles share).
	Registry *prometheus.Registry
	// Probe answers /readyz; the api adds its checks to it (default: a new
	// probe; the standalone passes the one its worker adds to).
	Probe *ops.Probe
	// WebhookGuard is the SSRF policy for webhook URLs at create time.
	WebhookGuard netguard.Policy
	// WebhookWait bounds a webhook control request to the workers (a test
	// ping waits for the receiver, up to the workers' 10 s timeout).
	WebhookWait time.Duration
	// Box seals the secret fields of session records (webhook URLs and
	// secrets, proxies); nil stores them in plaintext.
	Box *secretbox.Box
	// UnauthBodyLimit caps the body of a request that carries no valid key
	// in its headers or query; larger ones are refused before being read.
	UnauthBodyLimit int
	// TLSCertFile and TLSKeyFile, both set, make the api serve HTTPS.
	TLSCertFile, TLSKeyFile string

	// The limits below are off at their zero value; the binaries set them
	// from the environment (see shared/config for the defaults).

	// RateLimit is each key's sustained request rate per second.
	RateLimit float64
	// RateBurst is each key's bucket size (0 = twice the rate).
	RateBurst int
	// TenantRateLimits overrides RateLimit for the keys of a tenant (burst:
	// twice the rate; 0 = unlimited).
	TenantRateLimits map[string]float64
	// AuthFailLimit is how many failed authentications a client address may
	// make per minute (and at once) before it is answered 429.
	AuthFailLimit int
	// SessionConnectInterval is the shortest time between two connect or
	// restart commands of one session with account protection on; requests
	// within it coalesce into the first (same command id, no new command).
	SessionConnectInterval time.Duration
}

func (c *Config) defaults() {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Shards <= 0 {
		c.Shards = shard.DefaultCount
	}
	if c.BodyLimit <= 0 {
		c.BodyLimit = DefaultBodyLimit
	}
	if c.EventHeartbeat <= 0 {
		c.EventHeartbeat = DefaultHeartbeat
	}
	if c.PairWait <= 0 {
		c.PairWait = DefaultPairWait
	}
	if c.Registry == nil {
		c.Registry = ops.NewRegistry()
	}
	if c.Probe == nil {
		c.Probe = ops.NewProbe()
	}
	if c.WebhookWait <= 0 {
		c.WebhookWait = DefaultWebhookWait
	}
	if c.UnauthBodyLimit <= 0 {
		c.UnauthBodyLimit = DefaultUnauthBodyLimit
	}
}

// Validate checks that someone can authenticate and that every tenant name
// is a valid subject token.
func (c Config) Validate() error {
	if c.AdminKey == "" && len(c.TenantKeys) == 0 {
		return errors.New("httpapi: an admin key or tenant keys are required")
	}
	for key, tenant := range c.TenantKeys {
		if key == "" || !session.ValidTenant(tenant) {
			return fmt.Errorf("httpapi: tenant %q: tenant names must match [A-Za-z0-9_-]{1,64} without a leading \"_\", and keys be non-empty", tenant)
		}
		if key == c.AdminKey && tenant != AdminTenant {
			return fmt.Errorf("httpapi: tenant %q uses the admin key", tenant)
		}
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return errors.New("httpapi: set both TLSCertFile and TLSKeyFile, or neither")
	}
	if c.RateLimit < 0 || c.RateBurst < 0 || c.AuthFailLimit < 0 || c.SessionConnectInterval < 0 {
		return errors.New("httpapi: limits must not be negative")
	}
	if c.Shards > 4096 {
		return errors.New("httpapi: Shards must be at most 4096")
	}
	return nil
}

// FromEnv builds the api's Config from the environment configuration, with
// addr as the listen address when SWITCHBOARD_HTTP_ADDR is unset.
func FromEnv(c config.Config, addr string) (Config, error) {
	tenantKeys, err := config.ParseTenantKeys(c.TenantKeys)
	if err != nil {
		return Config{}, err
	}
	limits, err := config.ParseTenantRateLimits(c.TenantRateLimits)
	if err != nil {
		return Config{}, err
	}
	guard, err := c.WebhookPolicy()
	if err != nil {
		return Config{}, err
	}
	if c.HTTPAddr != "" {
		addr = c.HTTPAddr
	}
	return Config{
		Addr:                   addr,
		AdminKey:               c.AdminKey,
		TenantKeys:             tenantKeys,
		Shards:                 c.Shards,
		TLSCertFile:            c.TLSCertFile,
		TLSKeyFile:             c.TLSKeyFile,
		RateLimit:              c.RateLimit,
		RateBurst:              c.RateBurst,
		TenantRateLimits:       limits,
		AuthFailLimit:          c.AuthFailLimit,
		SessionConnectInterval: c.SessionConnectInterval,
		WebhookGuard:           guard,
	}, nil
}
