package wasim

import (
	"fmt"
	"time"
)

// maxReplyDelay bounds Faults.ReplyDelayMS; whatsmeow gives up on an IQ after 75 s.
const maxReplyDelay = 10 * time.Minute

// Faults are injected failures. The JSON names are part of the control API
// (POST /faults); a POST replaces the whole set.
type Faults struct {
	// RefuseConnections answers websocket upgrades with HTTP 503, which
	// whatsmeow treats as retryable.
	RefuseConnections bool `json:"refuse_connections"`
	// StallHandshakes never answers the client hello, so the client's 20 s
	// handshake timeout fires.
	StallHandshakes bool `json:"stall_handshakes"`
	// ReplyDelayMS delays every IQ reply by this many milliseconds.
	ReplyDelayMS int `json:"reply_delay_ms"`
	// CorruptPatchMAC flips a byte of the patch MAC of every app-state patch
	// served, so whatsmeow rejects it (ErrMismatchingPatchMAC) and keeps
	// its old version.
	CorruptPatchMAC bool `json:"corrupt_patch_mac"`
}

// Validate reports whether the faults are within bounds.
func (f Faults) Validate() error {
	if f.ReplyDelayMS < 0 || time.Duration(f.ReplyDelayMS)*time.Millisecond > maxReplyDelay {
		return fmt.Errorf("%w: reply_delay_ms %d out of range", ErrInvalidInput, f.ReplyDelayMS)
	}
	return nil
}

// SetFaults replaces the injected faults. They apply to new events at once.
func (s *Server) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.faults.Store(&f)
	return nil
}

// Faults returns the injected faults currently in force.
func (s *Server) Faults() Faults {
	return *s.faults.Load()
}

func (s *Server) replyDelay() time.Duration {
	return time.Duration(s.faults.Load().ReplyDelayMS) * time.Millisecond
}
