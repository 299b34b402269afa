package sessions

import (
	"sync"

	"golang.org/x/time/rate"

	"github.com/switchboard-gw/switchboard/shared/command"
)

// outbox is a session's queue of send commands. It runs beside the mailbox
// on its own goroutine (started when work arrives, gone when it drains), so
// a message waiting for its pacing slot or its typing time never holds up
// the session's other commands and client events. Sends leave in arrival
// order, which is stream order, so per-chat order holds; a send's command
// is settled only after the send, so one queued at a worker that dies is
// redelivered, in order, to the next owner.
type outbox struct {
	mu      sync.Mutex
	items   []sendItem
	running bool

	// limiter paces the session's messages under account protection; built
	// on first use and retuned when the session's rate or burst change.
	limiter *rate.Limiter
}

type sendItem struct {
	cmd  command.Command
	done Done
}

// queueSend adds a send command to the outbox and starts its goroutine if
// none runs. It reports false when the session is closed.
func (s *Session) queueSend(cmd command.Command, done Done) bool {
	// s.mu is held throughout (then o.mu), so Close, which sets closed under
	// s.mu before refusing what is queued, never misses an item.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	o := &s.out
	o.mu.Lock()
	defer o.mu.Unlock()
	o.items = append(o.items, sendItem{cmd: cmd, done: done})
	if !o.running {
		o.running = true
		s.wg.Add(1)
		go s.drainOutbox()
	}
	return true
}

// drainOutbox sends queued messages until the outbox is empty or the
// session closes; Close refuses what is left.
func (s *Session) drainOutbox() {
	defer s.wg.Done()
	o := &s.out
	for {
		o.mu.Lock()
		if len(o.items) == 0 || s.ctx.Err() != nil {
			o.running = false
			o.mu.Unlock()
			return
		}
		it := o.items[0]
		o.items[0] = sendItem{}
		o.items = o.items[1:]
		o.mu.Unlock()
		it.done(s.send(it.cmd))
	}
}

// refuseQueuedSends answers every queued send with ErrClosed (redelivered).
func (s *Session) refuseQueuedSends() {
	o := &s.out
	o.mu.Lock()
	pending := o.items
	o.items = nil
	o.mu.Unlock()
	for _, it := range pending {
		it.done(ErrClosed)
	}
}

// paceLimiter returns the session's limiter tuned to rate r and burst b.
func (s *Session) paceLimiter(r float64, b int) *rate.Limiter {
	o := &s.out
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.limiter == nil {
		o.limiter = rate.NewLimiter(rate.Limit(r), b)
		return o.limiter
	}
	if o.limiter.Limit() != rate.Limit(r) {
		o.limiter.SetLimit(rate.Limit(r))
	}
	if o.limiter.Burst() != b {
		o.limiter.SetBurst(b)
	}
	return o.limiter
}
