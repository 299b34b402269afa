package health

import (
	"strconv"
	"time"

	"github.com/switchboard-gw/switchboard/shared/session"
)

// Action is what the sweep does about one session.
type Action uint8

// Actions.
const (
	// None leaves the session alone.
	None Action = iota
	// Restart publishes a restart command.
	Restart
	// Backoff would restart, but the session's backoff has not elapsed.
	Backoff
	// Defer would restart, but no live worker could apply the command.
	Defer
	// GiveUp stops restarting and publishes RestartGivenUp.
	GiveUp
	// LoggedOut publishes a session logout event; no restart.
	LoggedOut
)

var actionNames = [...]string{"none", "restart", "backoff", "defer", "give_up", "logged_out"}

// String names the action for logs.
func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "action(" + strconv.Itoa(int(a)) + ")"
}

// Reason names the rule that found a session unhealthy.
type Reason string

// Reasons.
const (
	ReasonStopped   Reason = "stopped"
	ReasonFailed    Reason = "failed"
	ReasonStuck     Reason = "stuck_connecting"
	ReasonSocket    Reason = "keepalive_stale"
	ReasonOwnerGone Reason = "owner_gone"
	ReasonLoggedOut Reason = "logged_out"
)

// Write says what to do with the session's Book once the action succeeded.
type Write uint8

// Book writes.
const (
	Keep Write = iota
	Put
	Delete
)

// Input is what the sweep knows about one session.
type Input struct {
	Record session.Record
	// Book is the stored bookkeeping; zero when there is none.
	Book Book
	// Now is the time decisions are measured against.
	Now time.Time
	// Sweep is the id of the running sweep.
	Sweep string
	// OwnerLive reports whether Record.State.Owner is a registered worker
	// (draining ones included: they still hold their sessions).
	OwnerLive bool
	// WorkersLive reports whether any worker takes work; without one a
	// restart would only queue up, so it waits for the next sweep.
	WorkersLive bool
	// VouchedAt is when the owner's shard liveness record last vouched for
	// the session's socket (the record names the session's owner and epoch
	// and does not list it as stale); zero when it does not. It counts as a
	// keepalive, like State.LastKeepalive.
	VouchedAt time.Time
}

// Verdict is the decision about one session.
type Verdict struct {
	Action Action
	Reason Reason
	// Book is the bookkeeping after the action; Write says how to store it.
	Book  Book
	Write Write
	// LogoutKey identifies the logout being reported (LoggedOut only).
	LogoutKey string
}
