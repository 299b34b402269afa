package health

import (
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/shared/session"
)

// Decide applies the rules to one session. Only sessions the tenant wants
// running are checked; for any other the bookkeeping is dropped.
func Decide(r Rules, in Input) Verdict {
	v := decide(r, in)
	switch {
	case v.Book == in.Book:
		v.Write = Keep
	case v.Book.Empty():
		v.Write = Delete
	default:
		v.Write = Put
	}
	return v
}

func decide(r Rules, in Input) Verdict {
	if in.Record.Desired != session.DesiredRunning {
		return Verdict{}
	}
	book := in.Book
	// A login after our last restart means the restarts worked: start over.
	if lc := in.Record.State.LastConnectedAt; lc != nil && lc.After(book.LastAt) && book.Attempts > 0 {
		book = Book{LoggedOut: book.LoggedOut}
	}
	reason, healthy := check(r, in)
	switch {
	case healthy && in.Record.State.Status == session.StatusWorking:
		return Verdict{} // reached WORKING: attempts reset, nothing to keep
	case healthy:
		return Verdict{Book: book}
	case reason == ReasonLoggedOut:
		return loggedOut(in, book)
	}
	return restart(r, in, book, reason)
}

// check reports whether the session is healthy, and if not, why.
func check(r Rules, in Input) (Reason, bool) {
	st := in.Record.State
	switch st.Status {
	case session.StatusWorking:
		if st.Owner != "" && !in.OwnerLive {
			return ReasonOwnerGone, false
		}
		last := latest(st.LastKeepalive, st.UpdatedAt)
		if in.VouchedAt.After(last) {
			last = in.VouchedAt
		}
		if r.KeepaliveTimeout > 0 && in.Now.Sub(last) > r.KeepaliveTimeout {
			return ReasonSocket, false
		}
	case session.StatusStopped, session.StatusFailed:
		// Only a linked session can come back by itself; one that never
		// linked (or was unlinked) waits for its tenant to scan a code.
		if st.DeviceJID == "" {
			return "", true
		}
		if st.Status == session.StatusStopped {
			return ReasonStopped, false
		}
		return ReasonFailed, false
	case session.StatusLoggedOut:
		if requestedLogout(st.LastError) {
			return "", true
		}
		return ReasonLoggedOut, false
	case session.StatusScanQR, session.StatusPairCode:
		// Linking is normal for a new or unlinked session. A code for a
		// session whose state still names its device means WhatsApp no
		// longer knows the device: the phone removed it.
		if st.DeviceJID != "" {
			return ReasonLoggedOut, false
		}
	default: // CREATED, STARTING, CONNECTED, or no state written yet
		// StatusSince does not move on rewrites of the same status (a
		// reconnect retry); records written before it existed fall back.
		since := st.StatusSince
		if since.IsZero() {
			since = st.UpdatedAt
		}
		if since.IsZero() {
			since = in.Record.UpdatedAt
		}
		if in.Now.Sub(since) > r.StuckAfter {
			return ReasonStuck, false
		}
	}
	return "", true
}

// RequestedLogoutPrefix starts State.LastError of a logout the tenant asked
// for when it failed half-way; a successful one leaves LastError empty.
// Any other LastError on a LOGGED_OUT session (device_removed,
// login_refused: …) means the phone or WhatsApp logged it out.
const RequestedLogoutPrefix = "logout"

func requestedLogout(lastError string) bool {
	return lastError == "" || strings.HasPrefix(lastError, RequestedLogoutPrefix)
}

func restart(r Rules, in Input, book Book, reason Reason) Verdict {
	switch {
	case book.GivenUp():
		return Verdict{Reason: reason, Book: book}
	case book.LastSweep == in.Sweep:
		// This sweep already restarted it (a re-run of the same tick): the
		// same command id is published again and the stream drops it.
		return Verdict{Action: Restart, Reason: reason, Book: book}
	case !in.WorkersLive:
		return Verdict{Action: Defer, Reason: reason, Book: book}
	case book.Attempts > 0 && in.Now.Before(book.LastAt.Add(r.Backoff(book.Attempts))):
		return Verdict{Action: Backoff, Reason: reason, Book: book}
	case book.Attempts >= r.MaxAttempts:
		book.GivenUpAt = in.Now
		return Verdict{Action: GiveUp, Reason: reason, Book: book}
	}
	book.Attempts++
	book.LastAt = in.Now
	book.LastSweep = in.Sweep
	book.Reason = reason
	return Verdict{Action: Restart, Reason: reason, Book: book}
}

func loggedOut(in Input, book Book) Verdict {
	key := LogoutKey(in.Record.State)
	if book.LoggedOut == key {
		return Verdict{Reason: ReasonLoggedOut, Book: book}
	}
	book.LoggedOut = key
	return Verdict{Action: LoggedOut, Reason: ReasonLoggedOut, Book: book, LogoutKey: key}
}

// LogoutKey identifies one logout: the login it ended, or when there was
// none, the time the state was written.
func LogoutKey(st session.State) string {
	if st.LastConnectedAt != nil {
		return strconv.FormatInt(st.LastConnectedAt.UnixNano(), 10)
	}
	return "u" + strconv.FormatInt(st.UpdatedAt.UnixNano(), 10)
}

func latest(t *time.Time, u time.Time) time.Time {
	if t != nil && t.After(u) {
		return *t
	}
	return u
}
