package sessions

import "github.com/switchboard-gw/switchboard/worker/report"

// Handover returns the session's record as last read or written, for its
// shard to record the session as connecting once the shard is handed over.
// It is only valid after Close returned nil (the mailbox goroutine has
// exited); ok is false for a session that must not be written any more
// (gone, fenced by a newer owner, or never loaded).
func (s *Session) Handover() (snap *report.Snapshot, ok bool) {
	if s.gone || s.fenced || !s.loaded {
		return nil, false
	}
	return &s.snap, true
}
