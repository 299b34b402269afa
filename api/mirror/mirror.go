// Package mirror keeps a local, read-only copy of the wa_sessions,
// wa_pairing and wa_shard_leases KV buckets, fed by KV watches, so the api
// answers reads without touching NATS, and never shows a session as
// connected unless its owner still holds the session's shard.
package mirror

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/shard"
)

// rewatchDelay is how long a watch waits before it is re-created after its
// subscription closed unexpectedly.
const rewatchDelay = time.Second

// Config configures a Mirror.
type Config struct {
	// Sessions is the wa_sessions bucket. Required.
	Sessions jetstream.KeyValue
	// Pairing is the wa_pairing bucket. Required.
	Pairing jetstream.KeyValue
	// Leases is the wa_shard_leases bucket. Required: a record claiming a
	// connection is shown only while its owner holds the lease.
	Leases jetstream.KeyValue
	// Shards is the shard count N (default shard.DefaultCount).
	Shards int
	// PairingTTL hides pairing entries older than this (the bucket expires
	// them without delete markers, so the watch never reports it).
	PairingTTL time.Duration
	// Connected reports whether NATS is reachable; when it is not, stopping
	// a watch does not wait for the consumer delete request to time out.
	// Defaults to always true.
	Connected func() bool
	// Codec decodes records and opens their sealed secret fields.
	Codec session.Codec
}

func (c *Config) defaults() {
	if c.PairingTTL <= 0 {
		c.PairingTTL = 5 * time.Minute
	}
	if c.Shards <= 0 {
		c.Shards = shard.DefaultCount
	}
	if c.Connected == nil {
		c.Connected = func() bool { return true }
	}
}

// Validate reports a missing bucket.
func (c Config) Validate() error {
	if c.Sessions == nil || c.Pairing == nil || c.Leases == nil {
		return errors.New("mirror: Sessions, Pairing and Leases buckets are required")
	}
	return nil
}

// Mirror is the local copy of both buckets. Its read methods are safe for
// concurrent use and never block on NATS.
type Mirror struct {
	cfg      Config
	log      *zap.Logger
	sessions *sessionTable
	pairing  *pairingTable
	leases   *leaseTable
	// sessionsLive, pairingLive and leasesLive are true while the watch of
	// that bucket runs and has delivered its initial values (Ready).
	sessionsLive atomic.Bool
	pairingLive  atomic.Bool
	leasesLive   atomic.Bool

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a Mirror; Start begins watching.
func New(cfg Config, log *zap.Logger) (*Mirror, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log = log.Named("mirror")
	return &Mirror{
		cfg:      cfg,
		log:      log,
		sessions: newSessionTable(log, cfg.Codec),
		pairing:  newPairingTable(log, cfg.PairingTTL),
		leases:   newLeaseTable(),
	}, nil
}

// Start starts both watches and returns once both delivered their initial
// values, or with ctx's error. The watches run until Stop.
func (m *Mirror) Start(ctx context.Context) error {
	// The watches outlive Start's ctx (often a startup timeout); Stop ends them.
	runCtx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	sessionsSynced := make(chan struct{})
	pairingSynced := make(chan struct{})
	leasesSynced := make(chan struct{})
	// Leases first: a session record is only shown once its lease is known.
	m.run(runCtx, m.cfg.Leases, m.leases, leasesSynced, &m.leasesLive)
	m.run(runCtx, m.cfg.Sessions, m.sessions, sessionsSynced, &m.sessionsLive)
	m.run(runCtx, m.cfg.Pairing, m.pairing, pairingSynced, &m.pairingLive)
	for _, ch := range []chan struct{}{leasesSynced, sessionsSynced, pairingSynced} {
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("mirror: initial sync: %w", ctx.Err())
		}
	}
	return nil
}

// Stop ends the watches and waits for their goroutines.
func (m *Mirror) Stop(ctx context.Context) error {
	if m.cancel == nil {
		return nil
	}
	m.cancel()
	done := make(chan struct{})
	go func() {
		m.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("mirror: stop: %w", ctx.Err())
	}
}
