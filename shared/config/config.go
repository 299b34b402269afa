// Package config loads Switchboard's configuration from the environment.
// The same variable names are used by every binary.
package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"go.uber.org/zap/zapcore"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/netguard"
	"github.com/switchboard-gw/switchboard/shared/secretbox"
)

// Config is the whole configuration; each binary reads the part it needs.
type Config struct {
	// HTTPAddr is the api's listen address; empty means the binary's
	// default (ClusterHTTPAddr, or StandaloneHTTPAddr for switchboard).
	HTTPAddr            string        `env:"SWITCHBOARD_HTTP_ADDR"`
	NATSURL             string        `env:"SWITCHBOARD_NATS_URL"`
	DatabaseURL         string        `env:"SWITCHBOARD_DATABASE_URL"`
	DataDir             string        `env:"SWITCHBOARD_DATA_DIR" envDefault:"./data"`
	AdminKey            string        `env:"SWITCHBOARD_ADMIN_KEY"`
	TenantKeys          string        `env:"SWITCHBOARD_TENANT_KEYS"`
	Shards              int           `env:"SWITCHBOARD_SHARDS" envDefault:"64"`
	Replicas            int           `env:"SWITCHBOARD_REPLICAS" envDefault:"1"`
	HealthcheckInterval time.Duration `env:"SWITCHBOARD_HEALTHCHECK_INTERVAL" envDefault:"15m"`
	// UsageInterval is the period of the scheduler's usage reports for
	// billing (wa.usage.<tenant>), aligned on unix time multiples.
	UsageInterval  time.Duration `env:"SWITCHBOARD_USAGE_INTERVAL" envDefault:"1h"`
	WASimulator    string        `env:"SWITCHBOARD_WA_SIMULATOR"`
	SimWSAddr      string        `env:"SWITCHBOARD_SIM_WS_ADDR" envDefault:"127.0.0.1:3998"`
	SimControlAddr string        `env:"SWITCHBOARD_SIM_CONTROL_ADDR" envDefault:"127.0.0.1:3999"`
	WorkerID       string        `env:"SWITCHBOARD_WORKER_ID"`
	LogLevel       string        `env:"SWITCHBOARD_LOG_LEVEL" envDefault:"info"`
	// LogFormat is "json", "console" or "" (console when stderr is a
	// terminal, json otherwise).
	LogFormat string `env:"SWITCHBOARD_LOG_FORMAT"`
	// ReconnectRate and ReconnectBurst pace every connect a worker makes
	// (takeovers, restarts, reconnects): connects per second, and how many
	// may go at once after a quiet spell. 0 = the worker's defaults.
	ReconnectRate  float64 `env:"SWITCHBOARD_RECONNECT_RATE"`
	ReconnectBurst int     `env:"SWITCHBOARD_RECONNECT_BURST"`
	// MasterKey (32 bytes, base64) seals secrets at rest: webhook secrets,
	// webhook URLs and proxies in wa_sessions, dead-letter bodies.
	// Standalone generates one into the data dir when unset.
	MasterKey string `env:"SWITCHBOARD_MASTER_KEY"`
	// MasterKeyPrevious are older master keys (comma-separated) that still
	// open what they sealed, for rotation.
	MasterKeyPrevious []string `env:"SWITCHBOARD_MASTER_KEY_PREVIOUS"`
	// EventRetention is how long the WA_EVT stream keeps events.
	EventRetention time.Duration `env:"SWITCHBOARD_EVENT_RETENTION" envDefault:"24h"`
	// MetricsAddr is where switchboard-worker and switchboard-scheduler serve
	// /metrics, /livez, /readyz and /healthz (the api and the standalone
	// serve them on SWITCHBOARD_HTTP_ADDR). Default DefaultMetricsAddr.
	MetricsAddr string `env:"SWITCHBOARD_METRICS_ADDR"`
	// SchedulerMetricsAddr is the scheduler's older name for MetricsAddr,
	// still honoured when SWITCHBOARD_METRICS_ADDR is unset.
	SchedulerMetricsAddr string `env:"SWITCHBOARD_SCHEDULER_METRICS_ADDR"`
	// WebhookAllowPrivate and WebhookAllowCIDRs open the webhook SSRF guard
	// (shared/netguard): every address, or the listed ranges. Read by the
	// api (create-time URL check) and the worker (dial-time check).
	WebhookAllowPrivate bool   `env:"SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE"`
	WebhookAllowCIDRs   string `env:"SWITCHBOARD_WEBHOOK_ALLOW_CIDRS"`
	// DeadLetterRetention is how long undelivered webhook events are kept
	// for replay.
	DeadLetterRetention time.Duration `env:"SWITCHBOARD_DEAD_LETTER_RETENTION" envDefault:"168h"`
	// MemoryLimit is the Go soft memory limit ("2GiB", "off"); empty means
	// 90 % of the cgroup's limit when there is one (see shared/memlimit).
	MemoryLimit string `env:"SWITCHBOARD_MEMORY_LIMIT"`
	// PprofAddr, when set, serves Go's pprof endpoints there (off by
	// default; see shared/profiling).
	PprofAddr string `env:"SWITCHBOARD_PPROF_ADDR"`
	// TLSCertFile and TLSKeyFile, both set, make the api serve HTTPS.
	TLSCertFile string `env:"SWITCHBOARD_TLS_CERT_FILE"`
	TLSKeyFile  string `env:"SWITCHBOARD_TLS_KEY_FILE"`
	// RateLimit is each api key's sustained request rate per second (0 =
	// unlimited); RateBurst the bucket size (0 = twice the rate).
	RateLimit float64 `env:"SWITCHBOARD_RATE_LIMIT" envDefault:"50"`
	RateBurst int     `env:"SWITCHBOARD_RATE_BURST"`
	// TenantRateLimits overrides RateLimit per tenant: "tenant:rate,…".
	TenantRateLimits string `env:"SWITCHBOARD_TENANT_RATE_LIMITS"`
	// AuthFailLimit is how many failed authentications one client IP may
	// make per minute before it gets 429 (0 = unlimited).
	AuthFailLimit int `env:"SWITCHBOARD_AUTH_FAIL_LIMIT" envDefault:"30"`
	// SessionConnectInterval is the shortest time between two connects
	// (start/restart commands) of one session with account protection on;
	// requests within it coalesce into the first.
	SessionConnectInterval time.Duration `env:"SWITCHBOARD_SESSION_CONNECT_INTERVAL" envDefault:"10s"`
}

// WebhookPolicy is the SSRF policy for webhook targets.
func (c Config) WebhookPolicy() (netguard.Policy, error) {
	allow, err := netguard.ParseCIDRs(c.WebhookAllowCIDRs)
	if err != nil {
		return netguard.Policy{}, fmt.Errorf("config: SWITCHBOARD_WEBHOOK_ALLOW_CIDRS: %w", err)
	}
	return netguard.Policy{AllowPrivate: c.WebhookAllowPrivate, Allow: allow}, nil
}

// DefaultMetricsAddr is where the cluster worker and scheduler serve their
// metrics and probes unless SWITCHBOARD_METRICS_ADDR says otherwise.
const DefaultMetricsAddr = ":9090"

// Log formats of SWITCHBOARD_LOG_FORMAT.
const (
	LogFormatJSON    = "json"
	LogFormatConsole = "console"
)

// Default api listen addresses: clusters listen on every interface, the
// standalone binary (a laptop, a single host) only on loopback.
const (
	ClusterHTTPAddr    = ":3000"
	StandaloneHTTPAddr = "127.0.0.1:3000"
)

// Load reads the environment.
func Load() (Config, error) {
	var c Config
	if err := env.Parse(&c); err != nil {
		return c, fmt.Errorf("config: %w", nameVariables(err))
	}
	if c.WorkerID == "" {
		host, _ := os.Hostname()
		c.WorkerID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if c.MetricsAddr == "" {
		c.MetricsAddr = c.SchedulerMetricsAddr
	}
	if c.MetricsAddr == "" {
		c.MetricsAddr = DefaultMetricsAddr
	}
	return c, c.Validate()
}

// Validate checks values that would otherwise fail late.
func (c Config) Validate() error {
	if c.Shards < 1 || c.Shards > 4096 {
		return errors.New("config: SWITCHBOARD_SHARDS must be between 1 and 4096")
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		return errors.New("config: SWITCHBOARD_REPLICAS must be between 1 and 5")
	}
	if c.HealthcheckInterval <= 0 {
		return errors.New("config: SWITCHBOARD_HEALTHCHECK_INTERVAL must be positive")
	}
	if c.UsageInterval < time.Second {
		return errors.New("config: SWITCHBOARD_USAGE_INTERVAL must be at least 1s")
	}
	if c.ReconnectRate < 0 || c.ReconnectBurst < 0 {
		return errors.New("config: SWITCHBOARD_RECONNECT_RATE and SWITCHBOARD_RECONNECT_BURST must not be negative")
	}
	if _, err := zapcore.ParseLevel(c.LogLevel); err != nil {
		return errors.New("config: SWITCHBOARD_LOG_LEVEL must be debug, info, warn or error")
	}
	switch c.LogFormat {
	case "", LogFormatJSON, LogFormatConsole:
	default:
		return errors.New("config: SWITCHBOARD_LOG_FORMAT must be json or console")
	}
	if _, err := c.WebhookPolicy(); err != nil {
		return err
	}
	if c.DeadLetterRetention <= 0 {
		return errors.New("config: SWITCHBOARD_DEAD_LETTER_RETENTION must be positive")
	}
	if c.EventRetention < time.Minute {
		return errors.New("config: SWITCHBOARD_EVENT_RETENTION must be at least 1m")
	}
	if err := c.SecretBox().Validate(); err != nil {
		return fmt.Errorf("config: SWITCHBOARD_MASTER_KEY: %w", err)
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return errors.New("config: set both SWITCHBOARD_TLS_CERT_FILE and SWITCHBOARD_TLS_KEY_FILE, or neither")
	}
	if c.RateLimit < 0 || c.RateBurst < 0 || c.AuthFailLimit < 0 {
		return errors.New("config: SWITCHBOARD_RATE_LIMIT, SWITCHBOARD_RATE_BURST and SWITCHBOARD_AUTH_FAIL_LIMIT must not be negative")
	}
	if c.SessionConnectInterval < 0 {
		return errors.New("config: SWITCHBOARD_SESSION_CONNECT_INTERVAL must not be negative")
	}
	if _, err := ParseTenantRateLimits(c.TenantRateLimits); err != nil {
		return err
	}
	return ValidateKeys(c.AdminKey, c.TenantKeys)
}

// Bus is the bus topology from the configuration; every process declares
// the streams with it.
func (c Config) Bus() bus.Config {
	return bus.Config{Shards: c.Shards, Replicas: c.Replicas, EventRetention: c.EventRetention}
}

// SecretBox is the secretbox configuration from the master key variables.
func (c Config) SecretBox() secretbox.Config {
	return secretbox.Config{Key: c.MasterKey, Previous: c.MasterKeyPrevious}
}

// nameVariables rewrites the parse errors of err to name the environment
// variable (env names the Go field): "SWITCHBOARD_SHARDS: invalid value: …".
func nameVariables(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	out := make([]error, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			if f, ok := reflect.TypeFor[Config]().FieldByName(pe.Name); ok {
				name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
				e = fmt.Errorf("%s: invalid value: %w", name, pe.Err)
			}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}
