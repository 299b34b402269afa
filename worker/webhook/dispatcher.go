// Package webhook delivers session events to the webhooks configured on each
// session: a second worker role on one durable pull consumer on WA_EVT.
// Every worker runs a dispatcher, but only the holder of the KV lease
// subject.WebhookLeaseKey pulls (the others answer control requests and
// stand by), so that each session's events reach each endpoint in order.
//
// Delivery is at least once, in order per (session, webhook URL): a lane.
// The pull loop hands each event, in stream order, to the lanes of its
// session's matching webhooks (see wants); each lane sends its head, and
// retries it with Config.Backoff before any later event, up to MaxAttempts,
// then dead-letters it. A JetStream message is acked only once every lane
// holding it is done (delivered or dead-lettered); until then it is kept in
// progress, and a dispatcher that dies leaves its held events to be
// redelivered, in order, to the next pinned one.
//
// Fairness: lanes run independently; an endpoint (tenant and URL) has its
// own concurrency limit and circuit breaker (sony/gobreaker), an open
// breaker parks the endpoint's lanes without holding any slot, and an
// endpoint's backlog is bounded (EndpointBacklog, overflow dead-lettered),
// so a slow or dead endpoint only slows itself. The consumer has no
// MaxAckPending limit that one endpoint could fill.
//
// Each event is POSTed as its Envelope JSON, signed with the webhook's
// secret (see Sign). 2xx is delivered; 408, 429, 5xx and transport errors
// are retried; anything else is permanent. Every connection passes the SSRF
// guard (shared/netguard) after DNS resolution. Secrets never reach the
// database or the logs; logs carry only the scheme and host of a URL.
package webhook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/lease"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// ErrStarted is returned by a second Start.
var ErrStarted = errors.New("webhook: dispatcher already started")

// nextErrPause slows the pull loop down when the iterator keeps failing.
const nextErrPause = 250 * time.Millisecond

// pullBatch is how many messages one fetch asks for, and fetchWait how long
// a fetch waits for them. Fetches are bounded (no prefetching iterator), so
// when the pull loop ends no pull request is left at the server and every
// message it was handed has been routed: Stop can hand all of them back in
// order.
const (
	pullBatch = 256
	fetchWait = 500 * time.Millisecond
	stopBound = 5 * time.Second
)

// Dispatcher consumes WA_EVT and delivers events to webhooks.
type Dispatcher struct {
	cfg    Config
	js     jetstream.JetStream
	nc     *nats.Conn
	db     *sql.DB
	log    *zap.Logger
	mirror *mirror
	client *http.Client
	now    func() time.Time
	lanes  *lanes
	held   *heldSet

	mu      sync.Mutex
	started bool
	sub     *nats.Subscription
	keeper  *lease.Keeper
	cancel  context.CancelFunc // everything started by Start
	loops   sync.WaitGroup     // watch, pruner, progress
	bgMu    sync.Mutex
	closing bool
	replays sync.WaitGroup // control requests and background replays

	stopping atomic.Bool // Stop is giving the lease up: a clean hand-over
	activeMu sync.Mutex
	active   context.CancelFunc // non-nil while holding the lease
	pulled   chan struct{}      // closed when the pull loop returns
}

// New builds a dispatcher over the event stream js, the wa_sessions bucket
// and the database of db. It starts nothing.
func New(cfg Config, js jetstream.JetStream, sessions jetstream.KeyValue, db *devstore.Store, log *zap.Logger) (*Dispatcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	if js == nil || sessions == nil || db == nil || log == nil || cfg.Leases == nil {
		return nil, fmt.Errorf("%w: jetstream, sessions and leases buckets, store and logger are required", ErrInvalidConfig)
	}
	d := &Dispatcher{
		cfg: cfg, js: js, nc: js.Conn(), db: db.DB(), log: log.Named("webhook"),
		mirror: newMirror(sessions, session.Codec{Box: cfg.Box}), client: cfg.HTTPClient, now: time.Now,
		held: newHeldSet(),
	}
	d.lanes = newLanes(d)
	return d, nil
}

// Start loads the session mirror, creates or updates the durable consumer,
// answers control requests and starts competing for the dispatcher lease;
// events are pulled only while the lease is held (see activate). ctx bounds
// the setup only; the goroutines run until Stop.
func (d *Dispatcher) Start(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started {
		return ErrStarted
	}
	// Detached on purpose: the watch, pulls and sends outlive Start's ctx
	// and end in Stop.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	fail := func(err error) error { cancel(); return err }
	w, err := d.mirror.load(ctx, runCtx)
	if err != nil {
		return fail(err)
	}
	cons, err := d.js.CreateOrUpdateConsumer(ctx, subject.EventStream, jetstream.ConsumerConfig{
		Durable:       d.cfg.Consumer,
		Description:   "webhook delivery",
		FilterSubject: subject.EventAll,
		// A new consumer starts at the tail: deploying webhooks must not
		// replay a week of stored events.
		DeliverPolicy: jetstream.DeliverNewPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       d.cfg.AckWait,
		// Attempts are counted by the lanes: a redelivery means only that
		// a dispatcher stopped or died holding the event.
		MaxDeliver: -1,
		// No shared limit: each endpoint's backlog is bounded instead.
		MaxAckPending: -1,
	})
	if err != nil {
		_ = w.Stop()
		return fail(fmt.Errorf("webhook: consumer: %w", err))
	}
	sub, err := d.nc.QueueSubscribe(subject.WebhookControlAll, subject.WebhookControlQueue, d.control(runCtx))
	if err != nil {
		_ = w.Stop()
		return fail(fmt.Errorf("webhook: control subscription: %w", err))
	}
	keeper, err := lease.NewKeeper(lease.KeeperConfig{
		KV: d.cfg.Leases, Key: subject.WebhookLeaseKey, Holder: d.cfg.Holder, TTL: bus.LeaseTTL,
		OnAcquired: func(uint64) { d.activate(runCtx, cons) },
		OnLost:     d.deactivate,
	}, d.log)
	if err != nil {
		_ = sub.Unsubscribe()
		_ = w.Stop()
		return fail(fmt.Errorf("webhook: %w", err))
	}
	d.started, d.sub, d.cancel, d.keeper = true, sub, cancel, keeper
	d.bgMu.Lock()
	d.closing = false
	d.bgMu.Unlock()
	d.loops.Add(3)
	go func() {
		defer d.loops.Done()
		d.mirror.run(runCtx, w, d.log)
	}()
	go func() { defer d.loops.Done(); d.prune(runCtx) }()
	go func() { defer d.loops.Done(); d.keepInProgress(runCtx) }()
	keeper.Start(runCtx)
	d.log.Info("webhook dispatcher started", zap.String("consumer", d.cfg.Consumer), zap.String("holder", d.cfg.Holder))
	return nil
}

// Stop gives the lease up (handing every held event back in order, see
// deactivate), stops answering control requests and waits for every
// goroutine. It returns within about fetchWait, or stopBound at worst.
func (d *Dispatcher) Stop(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.started {
		return nil
	}
	d.started = false
	d.stopping.Store(true)
	defer d.stopping.Store(false)
	_ = d.sub.Drain()
	// Handing back takes at most about fetchWait: it is not cut short by a
	// tighter ctx, since an event not handed back waits out AckWait.
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopBound)
	err := d.keeper.Stop(kctx)
	cancel()
	d.cancel()
	d.deactivate() // no-op unless the keeper's Stop timed out
	d.bgMu.Lock()
	d.closing = true
	d.bgMu.Unlock()
	d.replays.Wait()
	d.loops.Wait()
	d.mirror.reset() // no longer followed: Replay reads KV instead
	return err
}
