package sessions

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/store"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/pacer"
	"github.com/switchboard-gw/switchboard/worker/report"
)

// Outcomes a command's done callback receives besides nil (applied).
var (
	// ErrClosed means the session was closed (its shard is stopping) before
	// the command was applied: redeliver it.
	ErrClosed = errors.New("sessions: session closed")
	// ErrGone means the session record does not exist: drop the command.
	ErrGone = errors.New("sessions: session gone")
)

// Done receives the outcome of a command: nil when applied (even if the
// session ended up FAILED), ErrGone, ErrClosed, report.ErrFenced, or an
// infrastructure error.
type Done func(error)

type itemKind uint8

const (
	kindCommand itemKind = iota + 1
	kindEvent
	kindResume
	kindTimer
	kindLiveness
)

// item is one entry of the mailbox.
type item struct {
	kind itemKind
	gen  uint64 // client generation of an event, timer or paced connect
	cmd  command.Command
	done Done // of a command or liveness probe
	evt  any
}

// pairMode is what the registration connection is used for.
type pairMode uint8

const (
	pairNone pairMode = iota
	pairQR
	pairCode
)

// Session is the actor of one session.
type Session struct {
	deps   *Deps
	fence  report.Fence
	tenant string
	id     string
	// onGone is told when the session's record turns out not to exist.
	onGone func(*Session)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// mu guards the mailbox, the signals and current.
	mu      sync.Mutex
	items   []item
	running bool
	closed  bool
	sig     signals
	// current is the client, for a Close that cannot wait for the mailbox
	// goroutine and must still disconnect.
	current *whatsmeow.Client
	// preloaded is the linked device read in bulk by the shard, for the
	// first connect of the actor (see Preload).
	preloaded *store.Device

	// genNow mirrors gen for the pacer, which skips connects of an older
	// generation without using a slot.
	genNow atomic.Uint64
	// working mirrors whether the last written status is WORKING: the
	// liveness walk probes only those, without entering every mailbox.
	working atomic.Bool
	// statusNow is the last status read or written, for metrics walks that
	// cannot enter the mailbox ("" until the record is loaded).
	statusNow atomic.Value

	// Owned by the mailbox goroutine (or by Close once it has exited).
	snap       report.Snapshot
	loaded     bool
	want       bool
	gone       bool
	fenced     bool
	client     *whatsmeow.Client
	clientStop context.CancelFunc
	gen        uint64
	mode       pairMode
	pairingSet bool
	timer      *time.Timer
	kaFailures int
	// retries counts failed connects in a row; retry is the pending wait
	// before the next one queues at the pacer.
	retries int
	retry   *time.Timer
	// lastConnect is when the client last dialled (account protection
	// coalesces start and restart connects to one per connectSpacing).
	lastConnect time.Time

	// out is the queue of send commands (its own lock and goroutine).
	out outbox
	// changed is closed and replaced whenever current changes (guarded by
	// mu), so a send waiting for a logged-in client wakes up.
	changed chan struct{}
	// statusMu serialises message status steps of the session.
	statusMu sync.Mutex
	// cfg is the session config as last read for message handling, at cfgAt.
	cfgMu     sync.Mutex
	cfg       session.Config
	cfgStatus session.Status
	cfgAt     time.Time
}

// New returns the actor of tenant/id owned under fence. snap, when it has a
// revision, is the record as loaded by the shard; otherwise the record is
// read on first use. ctx bounds the actor's life (Close cancels it).
func New(ctx context.Context, deps *Deps, fence report.Fence, tenant, id string, snap report.Snapshot, onGone func(*Session)) *Session {
	s := &Session{deps: deps, fence: fence, tenant: tenant, id: id, onGone: onGone, changed: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(ctx)
	if snap.Revision != 0 {
		s.snap, s.loaded = snap, true
		s.want = snap.Record.Desired == session.DesiredRunning
		s.statusNow.Store(snap.Record.State.Status)
	}
	return s
}

// Status is the session's last known status, or "" before its record was
// loaded. It does not enter the mailbox.
func (s *Session) Status() session.Status {
	st, _ := s.statusNow.Load().(session.Status)
	return st
}

// Tenant is the session's tenant.
func (s *Session) Tenant() string { return s.tenant }

// ID is the session id.
func (s *Session) ID() string { return s.id }

// Command queues cmd; done is called once it is applied or refused. Send
// commands go to the session's outbox, the others to its mailbox.
func (s *Session) Command(cmd command.Command, done Done) {
	if cmd.Verb == command.Send {
		if !s.queueSend(cmd, done) {
			done(ErrClosed)
		}
		return
	}
	if !s.enqueue(item{kind: kindCommand, cmd: cmd, done: done}) {
		done(ErrClosed)
	}
}

// ResumeJob is a paced (re)connect of the session if it should be running
// and is not. The shard submits one per session after taking the shard
// over, all together so that the pacer shuffles them.
func (s *Session) ResumeJob() pacer.Job { return s.connectJob(s.genNow.Load()) }

// Preload hands the actor its linked device, read in bulk with the other
// sessions of its shard, before its first connect: that connect then reads
// nothing. The first command applied drops it (a logout or a new pairing
// may change the device), as does the first connect, which uses it.
func (s *Session) Preload(dev *store.Device) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.preloaded = dev
}

// takePreloaded returns and forgets the preloaded device, or nil.
func (s *Session) takePreloaded() *store.Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	dev := s.preloaded
	s.preloaded = nil
	return dev
}

// Closed reports whether Close was called.
func (s *Session) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Resumable reports whether a record's session should be reconnected when
// its shard is taken over: it is wanted running and was not stopped,
// logged out or failed (the scheduler decides about failed ones).
func Resumable(rec session.Record) bool {
	if rec.Desired != session.DesiredRunning {
		return false
	}
	switch rec.State.Status {
	case session.StatusStopped, session.StatusLoggedOut, session.StatusFailed:
		return false
	}
	return true
}

// Close stops the actor: the item being applied is cancelled, queued
// commands are refused with ErrClosed (after the one being applied, so
// they are redelivered in order), and the client is disconnected (never
// logged out). It waits for the mailbox goroutine.
func (s *Session) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	pending := s.items
	s.items = nil
	s.mu.Unlock()
	s.cancel()
	waited := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(waited)
	}()
	var err error
	select {
	case <-waited:
	case <-ctx.Done():
		err = ctx.Err()
	}
	for _, it := range pending {
		if it.done != nil {
			it.done(ErrClosed)
		}
	}
	s.refuseQueuedSends()
	if err != nil {
		// The item being applied is stuck, typically in a connect whose
		// handshake the server does not answer (whatsmeow waits 20 s and
		// cannot be interrupted; its Disconnect waits for the handshake
		// too). The shard does not wait for it: the client is dropped the
		// moment the mailbox goroutine returns, so the device is never left
		// connected behind a shard that is being given up.
		go func() {
			s.wg.Wait()
			s.dropClient()
		}()
		return err
	}
	s.dropClient()
	return nil
}

// enqueue adds it to the mailbox and starts the mailbox goroutine if none
// runs. It reports false when the session is closed.
func (s *Session) enqueue(it item) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.items = append(s.items, it)
	if !s.running {
		s.running = true
		s.wg.Add(1)
		go s.drain()
	}
	return true
}

// drain applies items until the mailbox is empty.
func (s *Session) drain() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if len(s.items) == 0 || s.closed {
			s.running = false
			s.items = nil
			s.mu.Unlock()
			return
		}
		it := s.items[0]
		s.items[0] = item{}
		s.items = s.items[1:]
		s.mu.Unlock()
		s.handle(it)
	}
}

func (s *Session) handle(it item) {
	var err error
	switch it.kind {
	case kindCommand:
		start := time.Now()
		err := s.applyCommand(it.cmd)
		s.deps.Metrics.applied(it.cmd.Verb, time.Since(start))
		it.done(err) // the shard settles and logs
		return
	case kindEvent:
		if it.gen == s.gen && s.live() {
			err = s.onEvent(it.evt)
		}
	case kindTimer:
		if it.gen == s.gen && s.live() {
			err = s.onTimer()
		}
	case kindResume:
		if it.gen == s.gen && s.live() {
			err = s.resume()
		}
	case kindLiveness:
		if s.live() {
			err = s.probe()
		}
		it.done(err)
		return
	}
	// Gone and fenced sessions stop on their own; a closing one is being
	// handed over. Anything else leaves KV behind what the client saw.
	if err != nil && !errors.Is(err, ErrGone) && !errors.Is(err, report.ErrFenced) && s.ctx.Err() == nil {
		s.logger().Warn("state not reported", zap.Error(err))
	}
}

// live reports whether the actor may still act on its session.
func (s *Session) live() bool { return !s.gone && !s.fenced && s.ctx.Err() == nil }

// logger returns the session's logger. It is built on use, so idle sessions
// do not each hold one.
func (s *Session) logger() *zap.Logger {
	return s.deps.Log.With(zap.String("tenant", s.tenant), zap.String("session", s.id))
}

// opCtx bounds one I/O operation.
func (s *Session) opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.ctx, s.deps.OpTimeout)
}
