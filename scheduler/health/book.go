package health

import "time"

// Book is the scheduler's restart bookkeeping of one session, kept in the
// scheduler's state bucket. The worker owns the session record; the
// scheduler never writes it, so everything it must remember lives here.
type Book struct {
	// Attempts counts restarts issued since the session last reached WORKING.
	Attempts int `json:"attempts,omitempty"`
	// LastAt is when the last restart was issued.
	LastAt time.Time `json:"last_at,omitzero"`
	// LastSweep is the sweep that issued the last restart.
	LastSweep string `json:"last_sweep,omitempty"`
	// Reason is the rule that fired for the last restart.
	Reason Reason `json:"reason,omitempty"`
	// GivenUpAt is set once the cap was reached and RestartGivenUp was sent.
	GivenUpAt time.Time `json:"given_up_at,omitzero"`
	// LoggedOut is the key of the last logout reported, so each logout is
	// reported once.
	LoggedOut string `json:"logged_out,omitempty"`
}

// Empty reports whether the book holds nothing worth keeping.
func (b Book) Empty() bool { return b == Book{} }

// GivenUp reports whether the scheduler stopped restarting the session.
func (b Book) GivenUp() bool { return !b.GivenUpAt.IsZero() }
