package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// Defaults.
const (
	DefaultMaxAttempts = 8
	DefaultTimeout     = 10 * time.Second
	DefaultConcurrency = 32
	// DefaultMaxAckPending bounds events held by the consumer unacked,
	// including those waiting out a retry delay.
	DefaultMaxAckPending = 20000
	// DefaultRetention keeps delivery outcomes as long as WA_EVT keeps the
	// events they describe: past that no redelivery can consult them.
	DefaultRetention = bus.EventMaxAge
	// DefaultDeadLetterRetention keeps dead letters for replay.
	DefaultDeadLetterRetention = 30 * 24 * time.Hour
	// pruneEvery is how often each dispatcher prunes old rows. Every worker
	// prunes; the deletes are idempotent.
	pruneEvery = time.Hour
)

// DefaultBackoff is the wait before attempts 2, 3, …; the last entry repeats.
var DefaultBackoff = []time.Duration{
	time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute,
	10 * time.Minute, 30 * time.Minute, time.Hour,
}

// ErrInvalidConfig wraps every configuration error.
var ErrInvalidConfig = errors.New("webhook: invalid config")

// Config configures a Dispatcher.
type Config struct {
	// Consumer is the durable consumer name on WA_EVT; every worker uses the
	// same one so deliveries spread over workers. Default subject.WebhookConsumer.
	Consumer string
	// MaxAttempts is the number of attempts per event and target, the first
	// included; it is the consumer's MaxDeliver.
	MaxAttempts int
	// Backoff is the wait before each retry, indexed by failed attempt; the
	// last entry repeats.
	Backoff []time.Duration
	// Timeout bounds one HTTP request.
	Timeout time.Duration
	// Concurrency is the number of events handled at once by this process.
	Concurrency int
	// MaxAckPending is the consumer's limit of unacked events across all
	// workers. Events waiting for a retry count against it, so a target
	// down for long enough to fill it slows delivery for everyone until the
	// delays run out: size it above the event rate times the longest backoff
	// you want to absorb.
	MaxAckPending int
	// HTTPClient sends the requests. Default: a client that never follows
	// redirects (a redirect is a permanent failure) and keeps Concurrency
	// idle connections per host.
	HTTPClient *http.Client
	// Retention is how long delivery outcomes are kept.
	Retention time.Duration
	// DeadLetterRetention is how long dead letters are kept when neither
	// replayed nor deleted.
	DeadLetterRetention time.Duration
	// Metrics records attempts and dead letters (NewMetrics); nil records
	// nothing.
	Metrics *Metrics
}

func (c *Config) defaults() {
	if c.Consumer == "" {
		c.Consumer = subject.WebhookConsumer
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if len(c.Backoff) == 0 {
		c.Backoff = append([]time.Duration(nil), DefaultBackoff...)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = DefaultMaxAckPending
	}
	if c.HTTPClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = max(c.Concurrency, 2)
		c.HTTPClient = &http.Client{
			Transport: tr,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	if c.DeadLetterRetention == 0 {
		c.DeadLetterRetention = DefaultDeadLetterRetention
	}
}

// Validate reports the first invalid field, after defaults are applied.
func (c Config) Validate() error {
	c.defaults()
	switch {
	case strings.ContainsAny(c.Consumer, " \t\r\n.*>/\\"):
		return fmt.Errorf("%w: consumer name %q", ErrInvalidConfig, c.Consumer)
	case c.MaxAttempts < 1:
		return fmt.Errorf("%w: max attempts %d < 1", ErrInvalidConfig, c.MaxAttempts)
	case c.Timeout < 0:
		return fmt.Errorf("%w: negative timeout", ErrInvalidConfig)
	case c.Concurrency < 1:
		return fmt.Errorf("%w: concurrency %d < 1", ErrInvalidConfig, c.Concurrency)
	case c.MaxAckPending < c.Concurrency:
		return fmt.Errorf("%w: max ack pending %d below concurrency", ErrInvalidConfig, c.MaxAckPending)
	case c.Retention < 0 || c.DeadLetterRetention < 0:
		return fmt.Errorf("%w: negative retention", ErrInvalidConfig)
	}
	for _, b := range c.Backoff {
		if b <= 0 {
			return fmt.Errorf("%w: backoff entries must be positive", ErrInvalidConfig)
		}
	}
	return nil
}

// backoff is the wait after failed attempt n (1-based).
func (c Config) backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > len(c.Backoff) {
		return c.Backoff[len(c.Backoff)-1]
	}
	return c.Backoff[n-1]
}

// ackWait covers a message waiting for a free slot and then its targets,
// sent in parallel, each bounded by Timeout, plus the database writes.
func (c Config) ackWait() time.Duration { return 2*c.Timeout + 10*time.Second }
