// Package webhook delivers session events to the webhooks configured on each
// session: a second worker role, one durable pull consumer on WA_EVT shared
// by every worker process, so delivery scales with the workers.
//
// Delivery is at least once. Each event is POSTed as its Envelope JSON to
// every webhook of its session whose filter matches (see wants), signed
// with the webhook's secret (see Sign and the header names in shared/event).
// 2xx is delivered; 408, 429, 5xx and transport errors are retried through
// JetStream redelivery (NakWithDelay with Config.Backoff, MaxDeliver =
// MaxAttempts); any other status is a permanent failure. A permanent failure,
// or the last attempt failing, leaves one dead letter per (event, URL), which
// Replay re-sends.
//
// Per-target progress lives in the database, not in memory, because a
// redelivery may land on another worker: one outcome row per (event, URL),
// and a redelivered event skips URLs whose row is final. A process dying
// between a 2xx and its row being written resends that event to that URL,
// so receivers de-duplicate on X-Switchboard-Event-Id. Events of one
// session are not ordered across retries.
//
// Secrets never reach the database or the logs; logs carry only the scheme
// and host of a URL, since query strings often hold tokens.
//
// Not done yet, knobs to add: an SSRF guard (a dialer refusing loopback,
// private and link-local addresses, or an allow/deny list), since tenants
// choose the URLs; and a dead letter for an event whose last attempt was cut
// short by a crash (the server's MAX_DELIVERIES advisory names it).
package webhook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// ErrStarted is returned by a second Start.
var ErrStarted = errors.New("webhook: dispatcher already started")

// nextErrPause slows the pull loop down when the iterator keeps failing.
const nextErrPause = 250 * time.Millisecond

// Dispatcher consumes WA_EVT and delivers events to webhooks.
type Dispatcher struct {
	cfg    Config
	js     jetstream.JetStream
	db     *sql.DB
	log    *zap.Logger
	mirror *mirror
	client *http.Client
	now    func() time.Time

	mu         sync.Mutex
	started    bool
	iter       jetstream.MessagesContext
	cancel     context.CancelFunc // watch and pruner
	cancelSend context.CancelFunc // in-flight deliveries, when Stop runs out of time
	pulled     chan struct{}      // closed when the pull loop returns
	loops      sync.WaitGroup     // watch and pruner
	inflight   sync.WaitGroup     // handlers
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
	return &Dispatcher{
		cfg: cfg, js: js, db: db.DB(), log: log.Named("webhook"),
		mirror: newMirror(sessions), client: cfg.HTTPClient, now: time.Now,
	}, nil
}

// Start loads the session mirror, creates or updates the durable consumer
// and starts pulling. ctx bounds the setup only; the goroutines run until
// Stop.
func (d *Dispatcher) Start(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started {
		return ErrStarted
	}
	// Detached on purpose: the watch, pulls and sends outlive Start's ctx
	// and end in Stop.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	sendCtx, cancelSend := context.WithCancel(runCtx)
	w, err := d.mirror.load(ctx, runCtx)
	if err != nil {
		cancel()
		cancelSend()
		return err
	}
	cons, err := d.js.CreateOrUpdateConsumer(ctx, subject.EventStream, jetstream.ConsumerConfig{
		Durable:       d.cfg.Consumer,
		Description:   "webhook delivery",
		FilterSubject: subject.EventAll,
		// A new consumer starts at the tail: deploying webhooks must not
		// replay a week of stored events.
		DeliverPolicy: jetstream.DeliverNewPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       d.cfg.ackWait(),
		MaxDeliver:    d.cfg.MaxAttempts,
		MaxAckPending: d.cfg.MaxAckPending,
		// No consumer BackOff: the server would use it in place of AckWait
		// and redeliver a message whose request is still running. Retries
		// are paced by NakWithDelay instead.
	})
	if err != nil {
		_ = w.Stop()
		cancel()
		cancelSend()
		return fmt.Errorf("webhook: consumer: %w", err)
	}
	iter, err := cons.Messages(jetstream.PullMaxMessages(d.cfg.Concurrency))
	if err != nil {
		_ = w.Stop()
		cancel()
		cancelSend()
		return fmt.Errorf("webhook: pull: %w", err)
	}
	d.started, d.iter, d.cancel, d.cancelSend = true, iter, cancel, cancelSend
	d.pulled = make(chan struct{})
	d.loops.Add(2)
	go func() {
		defer d.loops.Done()
		d.mirror.follow(runCtx, w)
		if runCtx.Err() == nil {
			d.log.Error("webhook session watch ended; webhook configs no longer update")
		}
	}()
	go func() { defer d.loops.Done(); d.prune(runCtx) }()
	go func() { defer close(d.pulled); d.pull(sendCtx, iter) }()
	d.log.Info("webhook dispatcher started", zap.String("consumer", d.cfg.Consumer), zap.Int("concurrency", d.cfg.Concurrency))
	return nil
}

// Stop stops pulling, lets the events in hand finish until ctx ends, then
// cancels what is left (those events are redelivered) and waits for every
// goroutine.
func (d *Dispatcher) Stop(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.started {
		return nil
	}
	d.started = false
	d.iter.Drain()
	finished := make(chan struct{})
	go func() {
		<-d.pulled // returns once the drained buffer is handed out
		d.inflight.Wait()
		close(finished)
	}()
	var err error
	select {
	case <-finished:
	case <-ctx.Done():
		err = fmt.Errorf("webhook: stop: %w", ctx.Err())
		d.cancelSend() // the events in hand are handed back at once
	}
	<-finished
	// The mirror stays up until the last handler is done with it.
	d.cancelSend()
	d.cancel()
	d.loops.Wait()
	d.mirror.reset() // no longer followed: Replay reads KV instead
	return err
}

// pull hands messages to handlers, at most Concurrency at a time.
func (d *Dispatcher) pull(ctx context.Context, iter jetstream.MessagesContext) {
	slots := make(chan struct{}, d.cfg.Concurrency)
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
		slots <- struct{}{}
		d.inflight.Add(1)
		go func() {
			defer func() { <-slots; d.inflight.Done() }()
			d.handle(ctx, msg)
		}()
	}
}

// prune deletes old outcome rows and dead letters every pruneEvery.
func (d *Dispatcher) prune(ctx context.Context) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := d.now()
		if _, err := PruneDeliveries(ctx, d.db, now.Add(-d.cfg.Retention)); err != nil && ctx.Err() == nil {
			d.log.Warn("webhook prune failed", zap.Error(err))
		}
		if _, err := PruneDeadLetters(ctx, d.db, now.Add(-d.cfg.DeadLetterRetention)); err != nil && ctx.Err() == nil {
			d.log.Warn("webhook prune failed", zap.Error(err))
		}
	}
}
