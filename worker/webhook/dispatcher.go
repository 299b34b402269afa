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
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/lease"
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
	replays sync.WaitGroup     // control requests and background replays

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
		mirror: newMirror(sessions), client: cfg.HTTPClient, now: time.Now,
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
	d.loops.Add(3)
	go func() {
		defer d.loops.Done()
		d.mirror.follow(runCtx, w)
		if runCtx.Err() == nil {
			d.log.Error("webhook session watch ended; webhook configs no longer update")
		}
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
	_ = d.sub.Drain()
	// Handing back takes at most about fetchWait: it is not cut short by a
	// tighter ctx, since an event not handed back waits out AckWait.
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopBound)
	err := d.keeper.Stop(kctx)
	cancel()
	d.cancel()
	d.deactivate() // no-op unless the keeper's Stop timed out
	d.replays.Wait()
	d.loops.Wait()
	d.mirror.reset() // no longer followed: Replay reads KV instead
	return err
}

// activate runs on the keeper's goroutine when this dispatcher wins the
// lease: it starts the pull loop. If a predecessor may have died holding
// events (the consumer has unacked ones), the loop first waits AckWait so
// that they are all due for redelivery, and so come first, in order.
func (d *Dispatcher) activate(ctx context.Context, cons jetstream.Consumer) {
	d.activeMu.Lock()
	defer d.activeMu.Unlock()
	actx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	d.active, d.pulled = cancel, done
	go func() {
		defer close(done)
		if info, err := cons.Info(actx); err != nil || info.NumAckPending > 0 {
			d.log.Info("webhook dispatcher waiting for a predecessor's events", zap.Duration("wait", d.cfg.AckWait))
			if !sleep(actx, d.cfg.AckWait) {
				return
			}
		}
		d.log.Info("webhook dispatcher active")
		d.pull(actx, cons)
	}()
}

// deactivate runs when the lease is lost, fenced or given up: it stops the
// pull loop and the lanes (cutting requests short) and hands every held
// event back, oldest first. No other dispatcher pulls until the lease is
// released or expires, so the server keeps them in that order.
func (d *Dispatcher) deactivate() {
	d.activeMu.Lock()
	defer d.activeMu.Unlock()
	if d.active == nil {
		return
	}
	d.active()
	<-d.pulled
	d.lanes.wait()
	d.held.nakAll(d.log)
	d.active, d.pulled = nil, nil
	d.log.Info("webhook dispatcher inactive")
}

// pull hands each message, in stream order, to its lanes until ctx ends,
// finishing the fetch under way (its messages are then held unsent, for
// Stop to hand back in order).
func (d *Dispatcher) pull(ctx context.Context, cons jetstream.Consumer) {
	for ctx.Err() == nil {
		batch, err := cons.Fetch(pullBatch, jetstream.FetchMaxWait(fetchWait))
		if err == nil {
			for msg := range batch.Messages() {
				d.route(ctx, msg)
			}
			err = batch.Error()
		}
		if err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrNoMessages) {
			d.log.Warn("webhook pull failed", zap.Error(err))
			select {
			case <-ctx.Done():
			case <-time.After(nextErrPause):
			}
		}
	}
}

// keepInProgress stops the server from redelivering events that wait in a
// lane.
func (d *Dispatcher) keepInProgress(ctx context.Context) {
	t := time.NewTicker(d.cfg.progressEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.held.progress()
		}
	}
}

// prune deletes old outcome rows and expired dead letters, at start and
// every pruneEvery.
func (d *Dispatcher) prune(ctx context.Context) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		now := d.now()
		if _, err := PruneDeliveries(ctx, d.db, now.Add(-d.cfg.Retention)); err != nil && ctx.Err() == nil {
			d.log.Warn("webhook prune failed", zap.Error(err))
		}
		if _, err := PruneDeadLetters(ctx, d.db, now.Add(-d.cfg.DeadLetterRetention)); err != nil && ctx.Err() == nil {
			d.log.Warn("webhook prune failed", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
