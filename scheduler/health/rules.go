package health

import (
	"errors"
	"time"
)

// Rules are the thresholds of the checks.
type Rules struct {
	// StuckAfter is how long a session may stay connecting (CREATED,
	// STARTING, CONNECTED) before it is restarted.
	StuckAfter time.Duration
	// KeepaliveTimeout is how old the last sign of a healthy socket of a
	// WORKING session may be before the socket counts as dead; negative
	// turns the check off (for workers that do not report liveness).
	KeepaliveTimeout time.Duration
	// MaxAttempts is how many restarts are issued before giving up.
	MaxAttempts int
	// BaseBackoff is the wait after the first restart; it doubles with
	// every further attempt.
	BaseBackoff time.Duration
}

// maxShift bounds the doubling so the backoff cannot overflow.
const maxShift = 16

// Validate checks that every threshold is usable.
func (r Rules) Validate() error {
	if r.StuckAfter <= 0 {
		return errors.New("health: StuckAfter must be positive")
	}
	if r.KeepaliveTimeout == 0 {
		return errors.New("health: KeepaliveTimeout must be set (negative turns the check off)")
	}
	if r.MaxAttempts < 1 {
		return errors.New("health: MaxAttempts must be at least 1")
	}
	if r.BaseBackoff < 0 {
		return errors.New("health: BaseBackoff must not be negative")
	}
	return nil
}

// Backoff is the wait after the n-th restart before the next one (or before
// giving up, after the last): BaseBackoff·2^(n-1).
func (r Rules) Backoff(n int) time.Duration {
	if n < 1 {
		return 0
	}
	return r.BaseBackoff << min(n-1, maxShift)
}
