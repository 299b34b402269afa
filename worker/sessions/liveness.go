package sessions

import (
	"time"

	"github.com/switchboard-gw/switchboard/shared/session"
)

// LivenessDue reports whether the session is WORKING on a healthy socket
// and its LastKeepalive is at least age old at now. It does not enter the
// mailbox, so a walk over thousands of sessions costs little.
func (s *Session) LivenessDue(now time.Time, age time.Duration) bool {
	at := s.liveAt.Load()
	return at != 0 && now.UnixNano()-at >= int64(age)
}

// Liveness queues a liveness check: when the client is still connected and
// logged in, has had no keepalive failure since the last write, and its
// LastKeepalive is at least age old, LastKeepalive is written. done
// receives the outcome of the write (nil when nothing was due), or
// ErrClosed.
func (s *Session) Liveness(age time.Duration, done Done) {
	if !s.enqueue(item{kind: kindLiveness, age: age, done: done}) {
		done(ErrClosed)
	}
}

// keepalive writes LastKeepalive when the socket is healthy and the last
// one is at least age old.
func (s *Session) keepalive(age time.Duration) error {
	if !s.healthy() {
		s.liveAt.Store(0)
		return nil
	}
	now := s.deps.Reporter.Now()
	if last := s.snap.Record.State.LastKeepalive; last != nil && now.Sub(*last) < age {
		return nil
	}
	return s.write(func(x *session.State) { x.LastKeepalive = &now })
}

// healthy reports a WORKING session whose client is connected and logged in
// and has not missed a keepalive since the last one succeeded.
func (s *Session) healthy() bool {
	return s.status() == session.StatusWorking && s.kaFailures == 0 &&
		s.client != nil && s.client.IsConnected() && s.client.IsLoggedIn()
}

// noteLiveness publishes, after a state write, whether the liveness walk
// should keep this session's LastKeepalive fresh.
func (s *Session) noteLiveness() {
	st := s.snap.Record.State
	if st.LastKeepalive == nil || !s.healthy() {
		s.liveAt.Store(0)
		return
	}
	s.liveAt.Store(st.LastKeepalive.UnixNano())
}
