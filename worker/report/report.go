// Package report writes what a worker observes back to NATS: the observed
// state of a session record (compare-and-set, fenced by owner and shard
// epoch), linking material in wa_pairing, and typed events on WA_EVT.
package report

import (
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// maxCASAttempts bounds the re-read-and-retry loop of one state write.
const maxCASAttempts = 16

// Errors of state writes.
var (
	// ErrGone means the session record does not exist (deleted or never
	// created).
	ErrGone = errors.New("report: session gone")
	// ErrFenced means the stored state carries a newer shard epoch: another
	// worker owns the session now and this one must stop touching it.
	ErrFenced = errors.New("report: fenced by a newer shard epoch")
	// ErrContended means every compare-and-set attempt lost a race.
	ErrContended = errors.New("report: state write contended")
)

// Fence is the ownership a state write is made under.
type Fence struct {
	// Owner is the worker id.
	Owner string
	// Epoch is the shard lease epoch.
	Epoch uint64
}

// Config configures a Reporter.
type Config struct {
	Sessions jetstream.KeyValue
	Pairing  jetstream.KeyValue
	JS       jetstream.JetStream
	// Now is the clock; defaults to time.Now in UTC.
	Now func() time.Time
}

// Validate reports missing dependencies.
func (c Config) Validate() error {
	if c.Sessions == nil || c.Pairing == nil || c.JS == nil {
		return errors.New("report: Sessions, Pairing and JS are required")
	}
	return nil
}

// Reporter writes state, pairing material and events. It is safe for
// concurrent use; one per worker.
type Reporter struct {
	cfg Config
	log *zap.Logger
}

// New returns a Reporter.
func New(cfg Config, log *zap.Logger) (*Reporter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	return &Reporter{cfg: cfg, log: log.Named("report")}, nil
}

// Now returns the reporter's clock.
func (r *Reporter) Now() time.Time { return r.cfg.Now() }

// isConflict reports a lost compare-and-set.
func isConflict(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyExists) ||
		(errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence)
}
