package webhook

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/event"
)

// heldMsg is a JetStream message waiting in one or more lanes. It is acked
// when the last lane is done with it.
type heldMsg struct {
	msg  jetstream.Msg
	seq  uint64
	env  event.Envelope
	left atomic.Int32
	set  *heldSet
}

// done marks one lane finished; the last one acks the message.
func (h *heldMsg) done(log *zap.Logger) {
	if h.left.Add(-1) != 0 {
		return
	}
	h.set.remove(h.seq)
	if err := h.msg.Ack(); err != nil {
		log.Warn("webhook ack failed", zap.Error(err), zap.Uint64("stream_seq", h.seq))
	}
}

// heldSet is every message held by this dispatcher, by stream sequence.
type heldSet struct {
	mu   sync.Mutex
	msgs map[uint64]*heldMsg
}

func newHeldSet() *heldSet { return &heldSet{msgs: make(map[uint64]*heldMsg)} }

func (s *heldSet) add(msg jetstream.Msg, seq uint64, env event.Envelope, lanes int) *heldMsg {
	h := &heldMsg{msg: msg, seq: seq, env: env, set: s}
	h.left.Store(int32(lanes))
	s.mu.Lock()
	s.msgs[seq] = h
	s.mu.Unlock()
	return h
}

func (s *heldSet) remove(seq uint64) {
	s.mu.Lock()
	delete(s.msgs, seq)
	s.mu.Unlock()
}

// snapshot returns the held messages in stream order.
func (s *heldSet) snapshot() []*heldMsg {
	s.mu.Lock()
	out := make([]*heldMsg, 0, len(s.msgs))
	for _, h := range s.msgs {
		out = append(out, h)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b *heldMsg) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// len is the number of held messages.
func (s *heldSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// progress resets the ack timer of every held message.
func (s *heldSet) progress() {
	for _, h := range s.snapshot() {
		_ = h.msg.InProgress()
	}
}

// nakAll hands every held message back, oldest first, so the server
// redelivers them in stream order, and forgets them. It reports whether
// every nak was sent.
func (s *heldSet) nakAll(log *zap.Logger) bool {
	held := s.snapshot()
	ok := true
	for _, h := range held {
		if err := h.msg.Nak(); err != nil {
			ok = false
			log.Warn("webhook nak failed", zap.Error(err), zap.Uint64("stream_seq", h.seq))
		}
	}
	s.mu.Lock()
	s.msgs = make(map[uint64]*heldMsg)
	s.mu.Unlock()
	return ok
}
