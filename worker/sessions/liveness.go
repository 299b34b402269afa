package sessions

import (
	"errors"

	"github.com/switchboard-gw/switchboard/shared/session"
)

// ErrUnhealthy is the answer of a liveness probe of a session that is
// WORKING but whose socket is down or missing keepalives.
var ErrUnhealthy = errors.New("sessions: socket not healthy")

// Working reports whether the last written status is WORKING. It does not
// enter the mailbox, so a walk over thousands of sessions costs little.
func (s *Session) Working() bool { return s.working.Load() }

// Liveness probes the session from its mailbox: done receives nil when it
// is not WORKING or its socket is healthy, ErrUnhealthy when it is WORKING
// on a dead or failing socket, or ErrClosed. A mailbox that does not answer
// is the caller's to time out. Nothing is written.
func (s *Session) Liveness(done Done) {
	if !s.enqueue(item{kind: kindLiveness, done: done}) {
		done(ErrClosed)
	}
}

// probe answers a liveness probe.
func (s *Session) probe() error {
	if s.status() == session.StatusWorking && !s.healthy() {
		return ErrUnhealthy
	}
	return nil
}

// healthy reports a WORKING session whose client is connected and logged in
// and has not missed a keepalive since the last one succeeded.
func (s *Session) healthy() bool {
	return s.status() == session.StatusWorking && s.kaFailures == 0 &&
		s.client != nil && s.client.IsConnected() && s.client.IsLoggedIn()
}

// noteLiveness publishes, after a state write, whether the liveness walk
// should probe this session.
func (s *Session) noteLiveness() {
	s.working.Store(s.status() == session.StatusWorking)
}
