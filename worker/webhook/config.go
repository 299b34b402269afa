package webhook

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/netguard"
	"github.com/switchboard-gw/switchboard/shared/secretbox"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// Defaults.
const (
	DefaultMaxAttempts = 8
	DefaultTimeout     = 10 * time.Second
	// DefaultEndpointConcurrency is how many sessions' lanes may send to
	// one endpoint (tenant and URL) at once.
	DefaultEndpointConcurrency = 4
	// DefaultEndpointBacklog bounds the events held for one endpoint; past
	// it new events for that endpoint are dead-lettered at once.
	DefaultEndpointBacklog = 2000
	// DefaultBreakerFailures consecutive retryable failures open an
	// endpoint's breaker.
	DefaultBreakerFailures = 5
	// DefaultBreakerOpen is how long an open breaker parks an endpoint
	// before one probe is let through.
	DefaultBreakerOpen = 30 * time.Second
	// DefaultAckWait is the consumer's AckWait; held events are kept in
	// progress every third of it. A new lease holder waits this long when
	// its predecessor may have died holding events.
	DefaultAckWait = 15 * time.Second
	// DefaultRetention keeps delivery outcomes as long as WA_EVT keeps the
	// events they describe: past that no redelivery can consult them.
	DefaultRetention = bus.DefaultEventRetention
	// DefaultDeadLetterRetention keeps dead letters for replay.
	DefaultDeadLetterRetention = 7 * 24 * time.Hour
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
	// same one, pulled by the lease holder only. Default subject.WebhookConsumer.
	Consumer string
	// Leases is the wa_shard_leases bucket, where the dispatcher lease
	// (subject.WebhookLeaseKey) lives. Required.
	Leases jetstream.KeyValue
	// Holder identifies this dispatcher in the lease (the worker id).
	// Default: host name, pid and a random suffix.
	Holder string
	// MaxAttempts is the number of attempts per event and target, the first
	// included, before the event is dead-lettered.
	MaxAttempts int
	// Backoff is the wait before each retry of a lane's head, indexed by
	// failed attempt; the last entry repeats.
	Backoff []time.Duration
	// Timeout bounds one HTTP request.
	Timeout time.Duration
	// EndpointConcurrency bounds the requests in flight to one endpoint.
	EndpointConcurrency int
	// EndpointBacklog bounds the events held for one endpoint.
	EndpointBacklog int
	// BreakerFailures and BreakerOpen configure each endpoint's breaker.
	BreakerFailures int
	BreakerOpen     time.Duration
	// AckWait is the consumer's AckWait: how soon a dead dispatcher's held
	// events are redelivered to its successor.
	AckWait time.Duration
	// Guard is the SSRF policy every connection is checked against.
	Guard netguard.Policy
	// HTTPClient sends the requests. Default: a client whose transport
	// dials through Guard and which never follows redirects (a redirect is
	// a permanent failure). A client given here is used as is: tests only.
	HTTPClient *http.Client
	// Retention is how long delivery outcomes are kept.
	Retention time.Duration
	// DeadLetterRetention is how long dead letters are kept when neither
	// replayed nor deleted (SWITCHBOARD_DEAD_LETTER_RETENTION).
	DeadLetterRetention time.Duration
	// Sealer, when set, encrypts dead-letter bodies at rest.
	Sealer Sealer
	// Box opens the sealed secret fields of session records (webhook URLs
	// and secrets) and seals dead-letter bodies; nil = no master key.
	Box *secretbox.Box
	// Metrics records attempts and dead letters (NewMetrics); nil records
	// nothing.
	Metrics *Metrics
}

func (c *Config) defaults() {
	if c.Consumer == "" {
		c.Consumer = subject.WebhookConsumer
	}
	if c.Holder == "" {
		host, _ := os.Hostname()
		c.Holder = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), rand.Text()[:8])
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
	if c.EndpointConcurrency == 0 {
		c.EndpointConcurrency = DefaultEndpointConcurrency
	}
	if c.EndpointBacklog == 0 {
		c.EndpointBacklog = DefaultEndpointBacklog
	}
	if c.BreakerFailures == 0 {
		c.BreakerFailures = DefaultBreakerFailures
	}
	if c.BreakerOpen == 0 {
		c.BreakerOpen = DefaultBreakerOpen
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.HTTPClient == nil {
		tr := c.Guard.Transport()
		tr.MaxIdleConnsPerHost = max(c.EndpointConcurrency, 2)
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
	case c.EndpointConcurrency < 1:
		return fmt.Errorf("%w: endpoint concurrency %d < 1", ErrInvalidConfig, c.EndpointConcurrency)
	case c.EndpointBacklog < 1:
		return fmt.Errorf("%w: endpoint backlog %d < 1", ErrInvalidConfig, c.EndpointBacklog)
	case c.BreakerFailures < 1 || c.BreakerOpen < 0:
		return fmt.Errorf("%w: breaker needs failures ≥ 1 and a positive open time", ErrInvalidConfig)
	case c.AckWait < time.Second:
		return fmt.Errorf("%w: ack wait below 1s", ErrInvalidConfig)
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

// progressEvery is how often held events are marked in progress.
func (c Config) progressEvery() time.Duration { return c.AckWait / 3 }
