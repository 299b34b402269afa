// Package shards runs the shards a worker owns. A Shard binds its durable
// command consumer, loads its sessions from KV, reconnects the ones that
// should run (paced), and routes each command to its session's actor, which
// applies it before the message is acknowledged.
package shards

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/subject"
	"github.com/switchboard-gw/switchboard/worker/report"
	"github.com/switchboard-gw/switchboard/worker/sessions"
)

// Defaults.
const (
	// DefaultAckWait is how long a delivered command may stay unacknowledged
	// before redelivery; commands being applied are kept alive with
	// in-progress acks, so this only delays redelivery after a crash.
	DefaultAckWait = 30 * time.Second
	// DefaultMaxAckPending bounds the commands in flight per shard.
	DefaultMaxAckPending = 1024
	// DefaultLoadChunk is one bulk device read (devstore reads 200 a query).
	DefaultLoadChunk = 200
	// retryWait is the pause between attempts to bind the consumer or load
	// the sessions while NATS is unreachable.
	retryWait = time.Second
	// drainWait bounds the wait for the consumer to hand over its buffer.
	drainWait = 5 * time.Second
)

// Config configures one owned shard.
type Config struct {
	// Index is the shard number p.
	Index int
	// Count is the shard count N.
	Count int
	// Fence is the owner and lease epoch every state write carries.
	Fence report.Fence
	// JS binds the consumer.
	JS jetstream.JetStream
	// Scanner reads the shard's sessions at start; shared by every shard of
	// the worker.
	Scanner *Scanner
	// Deps are the session actors' dependencies; Deps.Pacer releases the
	// reconnects of a takeover.
	Deps *sessions.Deps

	AckWait       time.Duration
	MaxAckPending int
	// LoadChunk is how many of its sessions a starting shard marks,
	// preloads and queues for connecting at a time (DefaultLoadChunk).
	LoadChunk int
}

func (c *Config) defaults() {
	if c.AckWait <= 0 {
		c.AckWait = DefaultAckWait
	}
	if c.MaxAckPending <= 0 {
		c.MaxAckPending = DefaultMaxAckPending
	}
	if c.LoadChunk <= 0 {
		c.LoadChunk = DefaultLoadChunk
	}
}

// Validate reports missing or inconsistent fields.
func (c Config) Validate() error {
	if c.JS == nil || c.Scanner == nil || c.Deps == nil || c.Deps.Pacer == nil {
		return errors.New("shards: JS, Scanner, Deps and Deps.Pacer are required")
	}
	if c.Count <= 0 || c.Index < 0 || c.Index >= c.Count {
		return fmt.Errorf("shards: shard %d out of range 0..%d", c.Index, c.Count-1)
	}
	if c.Fence.Owner == "" || c.Fence.Epoch == 0 {
		return errors.New("shards: fence owner and epoch are required")
	}
	return nil
}

// Shard is one shard owned by this worker, from lease acquisition to loss.
type Shard struct {
	cfg Config
	log *zap.Logger

	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	actors   map[string]*sessions.Session
	inflight map[uint64]jetstream.Msg
	// closed are the actors closeActors closed cleanly, for Release.
	closed []*sessions.Session
	// drainTook is how long the consumer took to drain on stop.
	drainTook time.Duration
	// onClosed, set by Release, receives each actor as soon as it closed
	// cleanly.
	onClosed func(*sessions.Session)
	// streamed reports that closeActors passed the closed actors to
	// onClosed.
	streamed bool
}

// New returns a shard; Start begins owning it.
func New(cfg Config, log *zap.Logger) (*Shard, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Shard{
		cfg:      cfg,
		log:      log.Named("shard").With(zap.Int("shard", cfg.Index), zap.Uint64("epoch", cfg.Fence.Epoch)),
		actors:   make(map[string]*sessions.Session),
		inflight: make(map[uint64]jetstream.Msg),
	}, nil
}

// Start binds the consumer, loads the sessions and starts consuming, on a
// goroutine the shard owns; it returns at once, because it is called from
// the lease keeper, which must keep renewing.
func (s *Shard) Start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go s.run(ctx)
}

// Stop stops consuming, refuses queued commands (they are redelivered to the
// next owner) and disconnects every client of the shard, without logging
// out. It returns when nothing of the shard runs any more.
func (s *Shard) Stop(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	select {
	case <-s.done:
	case <-ctx.Done():
		return fmt.Errorf("shards: stop %d: %w", s.cfg.Index, ctx.Err())
	}
	return nil
}

// Each calls fn for every session actor of the shard.
func (s *Shard) Each(fn func(*sessions.Session)) {
	s.mu.Lock()
	actors := make([]*sessions.Session, 0, len(s.actors))
	for _, a := range s.actors {
		actors = append(actors, a)
	}
	s.mu.Unlock()
	for _, a := range actors {
		fn(a)
	}
}

// Epoch is the lease epoch the shard is owned under.
func (s *Shard) Epoch() uint64 { return s.cfg.Fence.Epoch }

// Sessions is the number of session actors of the shard.
func (s *Shard) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.actors)
}

func (s *Shard) run(ctx context.Context) {
	defer close(s.done)
	defer s.closeActors()
	start := time.Now()
	cons, err := s.bindConsumer(ctx)
	if err != nil {
		return // only when ctx ended
	}
	bound := time.Now()
	if err := s.loadSessions(ctx); err != nil {
		return
	}
	cc, err := s.consume(ctx, cons)
	if err != nil {
		return
	}
	s.log.Debug("shard started", zap.Int("sessions", s.Sessions()),
		zap.Duration("bind", bound.Sub(start)), zap.Duration("load", time.Since(bound)))
	s.keepInflightAlive(ctx)
	drain := time.Now()
	cc.Drain()
	select {
	case <-cc.Closed():
	case <-time.After(drainWait):
		s.log.Warn("consumer drain timed out")
	}
	s.mu.Lock()
	s.drainTook = time.Since(drain)
	s.mu.Unlock()
}

// bindConsumer creates or binds the shard's durable consumer, retrying
// until ctx ends. Commands a previous owner received but never settled (it
// crashed, or was cut off and fenced itself) would only come back after
// AckWait, behind newer commands of the same sessions; the consumer is
// recreated instead, so that every command left in the work queue is
// delivered again at once, in stream order. The lease guarantees that the
// previous owner no longer consumes.
func (s *Shard) bindConsumer(ctx context.Context) (jetstream.Consumer, error) {
	cfg := jetstream.ConsumerConfig{
		Durable:       subject.ShardConsumer(s.cfg.Index),
		FilterSubject: subject.ShardCommands(s.cfg.Index),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.cfg.AckWait,
		MaxAckPending: s.cfg.MaxAckPending,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		// The consumer's state (delivered and acknowledged sequences) lives
		// in memory: the stream is a work queue, so an acknowledged command
		// is deleted from it, and a consumer that lost its state (NATS
		// restarted) delivers exactly the commands still in the stream,
		// which is what recreating it below does anyway. A file-backed
		// state cost a write of each of the 64 consumers' state files per
		// flush while commands flowed (3.6 % of a linking gateway's CPU),
		// and nats-server stops file-backed consumers one after another,
		// each waiting ≥ 10 ms on its flusher (0.7 s of every clean stop).
		MemoryStorage: true,
	}
	for {
		cctx, cancel := context.WithTimeout(ctx, s.cfg.Deps.OpTimeout)
		cons, err := s.cfg.JS.CreateOrUpdateConsumer(cctx, subject.CommandStream, cfg)
		if err != nil {
			cons, err = s.replaceFileConsumer(cctx, cfg, err)
		}
		if err == nil && cons.CachedInfo().NumAckPending > 0 {
			s.log.Info("recreating consumer to redeliver unsettled commands in order",
				zap.Int("unsettled", cons.CachedInfo().NumAckPending))
			err = s.cfg.JS.DeleteConsumer(cctx, subject.CommandStream, cfg.Durable)
			if err == nil {
				cons, err = s.cfg.JS.CreateConsumer(cctx, subject.CommandStream, cfg)
			}
		}
		cancel()
		if err == nil {
			return cons, nil
		}
		s.log.Warn("consumer bind failed", zap.Error(err))
		if !sleep(ctx, retryWait) {
			return nil, ctx.Err()
		}
	}
}

// replaceFileConsumer handles an update refused with err: a consumer an
// earlier version created with file-backed state cannot be changed to
// memory, so it is deleted and created again (the commands it had not
// settled are still in the work queue and are delivered again, in order).
// Any other refusal is returned as it was.
func (s *Shard) replaceFileConsumer(ctx context.Context, cfg jetstream.ConsumerConfig, err error) (jetstream.Consumer, error) {
	old, lookErr := s.cfg.JS.Consumer(ctx, subject.CommandStream, cfg.Durable)
	if lookErr != nil || old.CachedInfo().Config.MemoryStorage == cfg.MemoryStorage {
		return nil, err
	}
	s.log.Info("recreating consumer with its state in memory")
	if err := s.cfg.JS.DeleteConsumer(ctx, subject.CommandStream, cfg.Durable); err != nil {
		return nil, fmt.Errorf("delete file-backed consumer: %w", err)
	}
	return s.cfg.JS.CreateConsumer(ctx, subject.CommandStream, cfg)
}

// keepInflightAlive extends the ack deadline of commands being applied until
// ctx ends.
func (s *Shard) keepInflightAlive(ctx context.Context) {
	t := time.NewTicker(s.cfg.AckWait / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.mu.Lock()
			msgs := make([]jetstream.Msg, 0, len(s.inflight))
			for _, m := range s.inflight {
				msgs = append(msgs, m)
			}
			s.mu.Unlock()
			for _, m := range msgs {
				_ = m.InProgress()
			}
		}
	}
}

// closeActors closes every actor; their queued commands are refused and so
// redelivered.
func (s *Shard) closeActors() {
	s.mu.Lock()
	actors := make([]*sessions.Session, 0, len(s.actors))
	for _, a := range s.actors {
		actors = append(actors, a)
	}
	s.actors = make(map[string]*sessions.Session)
	s.mu.Unlock()
	// Detached on purpose: the shard's context is done, and closing must
	// finish (disconnect every client) before the lease is released.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.mu.Lock()
	onClosed := s.onClosed
	s.mu.Unlock()
	closed, stuck := closeAll(ctx, actors, onClosed)
	s.mu.Lock()
	s.closed, s.streamed = closed, onClosed != nil
	s.mu.Unlock()
	if stuck > 0 {
		s.log.Info("sessions still connecting are dropped when their connect returns", zap.Int("sessions", stuck))
	}
	s.log.Debug("shard stopped", zap.Int("sessions", len(actors)))
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
