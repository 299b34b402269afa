package sessions

import (
	"context"
	"errors"
	"fmt"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/message"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/report"
)

// send sends one message and reports its outcome as the command's: nil once
// the message is sent or has failed for good (the command is done), ErrClosed
// when the session closed first (the next owner sends it), ErrGone when the
// session no longer exists.
//
// A message is sent at most once per record: a command whose record is no
// longer pending (a redelivery after the send) is acknowledged without
// sending, and a send repeated after a crash between the send and the record
// update carries the same WhatsApp message id, which the phone shows once.
func (s *Session) send(cmd command.Command) error {
	ctx := s.ctx
	rec, err := s.deps.Messages.Status(ctx, s.tenant, s.id, cmd.MessageID)
	if errors.Is(err, message.ErrNotFound) {
		// The record expired (and the text with it) or was never written.
		now := s.deps.Reporter.Now()
		rec, _, err = s.deps.Messages.CreatePending(ctx, s.tenant, s.id, message.Record{
			ID: cmd.MessageID, Direction: message.Outbound, To: cmd.To, Status: message.StatusFailed,
			Error: message.ErrTextLost, CreatedAt: now, UpdatedAt: now,
		}, "")
	}
	if err != nil {
		return s.sendErr(err)
	}
	if rec.Status != message.StatusPending {
		return nil
	}
	text, ok, err := s.deps.Messages.Text(ctx, s.tenant, s.id, cmd.MessageID)
	if err != nil {
		return s.sendErr(err)
	}
	if !ok {
		return s.fail(cmd, rec, message.ErrTextLost)
	}
	cmd.Text = text
	to, err := types.ParseJID(cmd.To)
	if err != nil || to.User == "" {
		return s.fail(cmd, rec, message.ErrSendFailed)
	}
	cli, cfg, reason, err := s.awaitReady(ctx)
	if err != nil {
		return s.sendErr(err)
	}
	if reason != "" {
		return s.fail(cmd, rec, reason)
	}
	if !onWhatsApp(ctx, cli, to) {
		if ctx.Err() != nil {
			return ErrClosed
		}
		return s.fail(cmd, rec, message.ErrNotOnWhatsApp)
	}
	if cfg.AccountProtection {
		if err := s.protect(ctx, cli, cfg, to, cmd.Text); err != nil {
			return ErrClosed
		}
	}
	_, err = cli.SendMessage(ctx, to, &waE2E.Message{Conversation: proto.String(cmd.Text)},
		whatsmeow.SendRequestExtra{ID: types.MessageID(cmd.MessageID)})
	if err != nil {
		if ctx.Err() != nil {
			return ErrClosed
		}
		s.warn("message send failed", zap.String("message", cmd.MessageID), zap.Error(err))
		return s.fail(cmd, rec, message.ErrSendFailed)
	}
	if cfg.MessageLogging && s.deps.MsgLog != nil {
		s.logOutbound(cmd, rec)
	}
	s.advance(cmd.MessageID, cmd.To, message.StatusSent, "")
	return nil
}

// sendErr maps an infrastructure error of a send to the command's outcome.
func (s *Session) sendErr(err error) error {
	switch {
	case s.ctx.Err() != nil:
		return ErrClosed
	case errors.Is(err, report.ErrGone):
		return ErrGone
	}
	return fmt.Errorf("sessions: send: %w", err)
}

// fail records a message as failed for good; the command is done.
func (s *Session) fail(cmd command.Command, rec message.Record, reason string) error {
	cfg := s.config(true)
	if cfg.MessageLogging && s.deps.MsgLog != nil {
		s.logOutbound(cmd, rec)
	}
	s.advance(cmd.MessageID, cmd.To, message.StatusFailed, reason)
	return nil
}

// logOutbound writes an outbound message to the log.
func (s *Session) logOutbound(cmd command.Command, rec message.Record) {
	ctx, cancel := s.opCtx()
	defer cancel()
	e := logEntry(rec, cmd.Text)
	e.From = s.ownJID()
	if err := s.deps.MsgLog.Add(ctx, s.tenant, s.id, e); err != nil {
		s.warn("message log write failed", zap.Error(err))
	}
}

// onWhatsApp reports whether to has a device on WhatsApp. whatsmeow caches
// device lists, so only the first message to a user asks the server.
func onWhatsApp(ctx context.Context, cli *whatsmeow.Client, to types.JID) bool {
	devs, err := cli.GetUserDevicesContext(ctx, []types.JID{to})
	if err != nil {
		return false
	}
	own := cli.Store.GetJID().User
	for _, d := range devs {
		if d.User != own {
			return true
		}
	}
	return false
}

// awaitReady waits until the session has a logged-in client, for at most
// Deps.SendWait. It returns a failure reason instead when the session is
// logged out or the wait ran out, and an error when the session closed or
// is gone.
func (s *Session) awaitReady(ctx context.Context) (*whatsmeow.Client, session.Config, string, error) {
	deadline := s.deps.Reporter.Now().Add(s.deps.SendWait)
	for first := true; ; first = false {
		read := s.freshRecord
		if first {
			read = s.recentRecord // a burst of messages reads the record once
		}
		snap, err := read()
		if err != nil {
			return nil, session.Config{}, "", err
		}
		cfg := snap.Config
		if snap.State.Status == session.StatusLoggedOut {
			return nil, cfg, message.ErrLoggedOut, nil
		}
		s.mu.Lock()
		cli, login, changed := s.current, s.sig.login, s.changed
		s.mu.Unlock()
		if cli != nil && cli.IsLoggedIn() {
			return cli, cfg, "", nil
		}
		wait := deadline.Sub(s.deps.Reporter.Now())
		if wait <= 0 {
			return nil, cfg, message.ErrTimedOut, nil
		}
		if err := waitAny(ctx, min(wait, readyRecheck), login, changed); err != nil {
			return nil, cfg, "", err
		}
	}
}
