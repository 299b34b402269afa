// Package webhook delivers session events to the webhooks configured on each
// session: a second worker role on one durable pull consumer on WA_EVT,
// pinned (priority group subject.WebhookPriorityGroup) to one dispatcher at
// a time, so that each session's events reach each endpoint in order.
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

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// ErrStarted is returned by a second Start.
var ErrStarted = errors.New("webhook: dispatcher already started")

// nextErrPause slows the pull loop down when the iterator keeps failing.
const nextErrPause = 250 * time.Millisecond

// pullBatch is how many messages one pull request asks for.
const pullBatch = 256

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

	mu       sync.Mutex
	started  bool
	iter     jetstream.MessagesContext
	sub      *nats.Subscription
	cancel   context.CancelFunc // everything started by Start
	pulled   chan struct{}      // closed when the pull loop returns
	loops    sync.WaitGroup     // watch, pruner, progress
	replays  sync.WaitGroup     // background replays
	lastPull time.Time          // last message received (pinned to us)
}

// New builds a dispatcher over the event stream js, the wa_sessions bucket
// and the database of db. It starts nothing.
func New(cfg Config, js jetstream.JetStream, sessions jetstream.KeyValue, db *devstore.Store, log *zap.Logger) (*Dispatcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	if js == nil || sessions == nil || db == nil || log == nil {
		return nil, fmt.Errorf("%w: jetstream, sessions bucket, store and logger are required", ErrInvalidConfig)
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
// starts pulling and answers control requests. ctx bounds the setup only;
// the goroutines run until Stop.
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
		MaxAckPending:  -1,
		PriorityPolicy: jetstream.PriorityPolicyPinned,
		PriorityGroups: []string{subject.WebhookPriorityGroup},
		PinnedTTL:      d.cfg.pinnedTTL(),
	})
	if err != nil {
		_ = w.Stop()
		return fail(fmt.Errorf("webhook: consumer: %w", err))
	}
	iter, err := cons.Messages(jetstream.PullMaxMessages(pullBatch), jetstream.PullPriorityGroup(subject.WebhookPriorityGroup))
	if err != nil {
		_ = w.Stop()
		return fail(fmt.Errorf("webhook: pull: %w", err))
	}
	sub, err := d.nc.QueueSubscribe(subject.WebhookControlAll, subject.WebhookControlQueue, d.control(runCtx))
	if err != nil {
		iter.Stop()
		_ = w.Stop()
		return fail(fmt.Errorf("webhook: control subscription: %w", err))
	}
	d.started, d.iter, d.sub, d.cancel = true, iter, sub, cancel
	d.pulled = make(chan struct{})
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
	go func() { defer close(d.pulled); d.pull(runCtx, iter) }()
	d.log.Info("webhook dispatcher started", zap.String("consumer", d.cfg.Consumer))
	return nil
}

// Stop stops pulling and answering, cuts the deliveries in flight short and
// hands every held event back (nak, in stream order) so the next pinned
// dispatcher sends them first, then gives the pin up.
func (d *Dispatcher) Stop(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.started {
		return nil
	}
	d.started = false
	_ = d.sub.Drain()
	d.iter.Stop()
	<-d.pulled
	d.cancel()
	var err error
	stopped := make(chan struct{})
	go func() { d.lanes.wait(); d.replays.Wait(); close(stopped) }()
	select {
	case <-stopped:
	case <-ctx.Done():
		err = fmt.Errorf("webhook: stop: %w", ctx.Err())
		<-stopped // the lanes' requests were cancelled: they end at once
	}
	d.held.nakAll(d.log)
	if time.Since(d.lastPull) < d.cfg.pinnedTTL() {
		// We were (very likely) the pinned dispatcher: let a successor
		// take over now rather than after PinnedTTL.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		if s, e := d.js.Stream(uctx, subject.EventStream); e == nil {
			_ = s.UnpinConsumer(uctx, d.cfg.Consumer, subject.WebhookPriorityGroup)
		}
		cancel()
	}
	d.loops.Wait()
	d.mirror.reset() // no longer followed: Replay reads KV instead
	return err
}

// pull hands each message, in stream order, to its lanes.
func (d *Dispatcher) pull(ctx context.Context, iter jetstream.MessagesContext) {
	for {
		msg, err := iter.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return
		} else if err != nil {
			d.log.Warn("webhook pull failed", zap.Error(err))
			select {
			case <-ctx.Done():
				return
			case <-time.After(nextErrPause):
			}
			continue
		}
		d.lastPull = time.Now()
		d.route(ctx, msg)
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
