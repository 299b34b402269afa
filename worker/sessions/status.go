package sessions

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/message"
	"github.com/switchboard-gw/switchboard/shared/msglog"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/report"
)

// Timing of sends.
const (
	// readyRecheck is how often a send waiting for its session to log in
	// re-reads the session record (to see a logout).
	readyRecheck = time.Second
	// configFresh is how long a read session config is used for logging
	// decisions of inbound messages and receipts.
	configFresh = time.Second
)

// advance moves an outbound message's record to next and reports every step
// it passed as a message_status event, in order. Steps of one session are
// serialised, so a receipt racing the send's own update cannot reorder the
// events. Once the text is no longer needed (delivered, read or failed) it
// is deleted; a logging session has it in its log.
func (s *Session) advance(id, to string, next message.Status, reason string) {
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	ctx, cancel := s.opCtx()
	defer cancel()
	now := s.deps.Reporter.Now()
	rec, prev, moved, err := s.deps.Messages.Advance(ctx, s.tenant, s.id, id, next, reason, now)
	if err != nil || !moved {
		if err != nil && err != message.ErrNotFound {
			s.warn("message status not recorded", zap.String("message", id), zap.Error(err))
		}
		return
	}
	if to == "" {
		to = rec.To
	}
	for _, st := range message.Steps(prev, next) {
		data := event.MessageStatusData{ID: id, To: to, Status: string(st)}
		if st == message.StatusFailed {
			data.Error = reason
		}
		s.publish(event.MessageStatus, id+"."+string(st), data)
	}
	cfg := s.config(false)
	if cfg.MessageLogging && s.deps.MsgLog != nil {
		if err := s.deps.MsgLog.SetStatus(ctx, s.tenant, s.id, id, next, rec.Error, now); err != nil {
			s.warn("message log write failed", zap.Error(err))
		}
	}
	if next.Final() {
		if err := s.deps.Messages.EraseText(ctx, s.tenant, s.id, id); err != nil {
			s.warn("message text not erased", zap.String("message", id), zap.Error(err))
		}
	}
}

// freshRecord reads the session record and refreshes the cached config.
func (s *Session) freshRecord() (session.Record, error) {
	ctx, cancel := s.opCtx()
	defer cancel()
	snap, err := s.deps.Reporter.Load(ctx, s.tenant, s.id)
	if err != nil {
		return session.Record{}, err
	}
	s.cfgMu.Lock()
	s.cfg, s.cfgStatus, s.cfgAt = snap.Record.Config, snap.Record.State.Status, time.Now()
	s.cfgMu.Unlock()
	return snap.Record, nil
}

// recentRecord is the session's config and status as read at most
// configFresh ago, read again when older.
func (s *Session) recentRecord() (session.Record, error) {
	s.cfgMu.Lock()
	cfg, st, at := s.cfg, s.cfgStatus, s.cfgAt
	s.cfgMu.Unlock()
	if !at.IsZero() && time.Since(at) < configFresh {
		return session.Record{Config: cfg, State: session.State{Status: st}}, nil
	}
	return s.freshRecord()
}

// config returns the session's configuration as read at most configFresh
// ago (fresh: read now), falling back to the actor's snapshot.
func (s *Session) config(fresh bool) session.Config {
	s.cfgMu.Lock()
	cfg, at := s.cfg, s.cfgAt
	s.cfgMu.Unlock()
	if !fresh && !at.IsZero() && time.Since(at) < configFresh {
		return cfg
	}
	rec, err := s.freshRecord()
	if err == nil {
		return rec.Config
	}
	if err != report.ErrGone {
		s.warn("session config not read", zap.Error(err))
	}
	if !at.IsZero() {
		return cfg
	}
	return s.snap.Record.Config
}

// ownJID is the session's device JID without device part, or "".
func (s *Session) ownJID() string {
	s.mu.Lock()
	cli := s.current
	s.mu.Unlock()
	if cli == nil || cli.Store.ID == nil {
		return ""
	}
	return cli.Store.ID.ToNonAD().String()
}

// logEntry is the log row of an outbound record.
func logEntry(rec message.Record, text string) msglog.Entry {
	return msglog.Entry{
		ID: rec.ID, Direction: message.Outbound, Chat: rec.To, To: rec.To, Text: text,
		Status: rec.Status, CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt,
	}
}

// waitAny waits d, or until one of chs is closed, or ctx ends (its error).
func waitAny(ctx context.Context, d time.Duration, chs ...chan struct{}) error {
	t := time.NewTimer(d)
	defer t.Stop()
	var a, b chan struct{}
	if len(chs) > 0 {
		a = chs[0]
	}
	if len(chs) > 1 {
		b = chs[1]
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	case <-a:
	case <-b:
	}
	return nil
}
