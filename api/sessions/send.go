package sessions

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/message"
	"github.com/switchboard-gw/switchboard/shared/msglog"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// SendInput is a send request, already decoded by a surface.
type SendInput struct {
	To             string
	Text           string
	IdempotencyKey string
}

// Send accepts a text message for a WORKING session: it fixes the WhatsApp
// message id from the command id, stores the pending record (and the text,
// until delivery) in wa_messages and publishes the send command. A retry
// with the same Idempotency-Key finds the record and answers it; it
// publishes again only while the message is still pending (the stream's
// duplicate window drops the copy), so the phone gets one message however
// often the client retries.
func (s *Service) Send(ctx context.Context, tenant, id string, in SendInput) (message.Record, error) {
	if err := validIdempotencyKey(in.IdempotencyKey); err != nil {
		return message.Record{}, err
	}
	to, err := message.NormalizeTo(in.To)
	if err != nil {
		return message.Record{}, invalid(err.Error())
	}
	if err := message.ValidText(in.Text); err != nil {
		return message.Record{}, invalid(err.Error())
	}
	rec, err := s.Get(tenant, id)
	if err != nil {
		return message.Record{}, err
	}
	if rec.State.Status != session.StatusWorking {
		return message.Record{}, withMessage(ErrNotReady,
			fmt.Sprintf("session is %s, not WORKING", rec.State.Status), nil)
	}
	if err := s.available(); err != nil {
		return message.Record{}, err
	}
	cmd := s.newCommand(tenant, id, command.Send, in.IdempotencyKey)
	// The command carries no text: WA_CMD is on disk, the text only in
	// memory (stream WA_MSG_TEXT) until delivery.
	cmd.To, cmd.MessageID = to, message.IDFromCommand(cmd.ID)
	now := s.now()
	msg := message.Record{
		ID: cmd.MessageID, Direction: message.Outbound, To: to, Status: message.StatusPending,
		CreatedAt: now, UpdatedAt: now, Logging: rec.Config.MessageLogging,
	}
	opCtx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
	create := s.cfg.Messages.CreatePending
	if in.IdempotencyKey == "" {
		create = s.cfg.Messages.CreateNew // a random id: no earlier attempt to find
	}
	stored, created, err := create(opCtx, tenant, id, msg, in.Text)
	cancel()
	if err != nil {
		return message.Record{}, s.natsErr("store message", err)
	}
	if !created && stored.Status != message.StatusPending {
		return withText(stored, in.Text), nil
	}
	if err := s.publish(ctx, cmd); err != nil {
		return message.Record{}, err
	}
	return withText(stored, in.Text), nil
}

// withText is rec as the sender sees it right after accepting.
func withText(rec message.Record, text string) message.Record {
	if !rec.Status.Final() {
		rec.Text = text
	}
	return rec
}

// Message returns one message of a session: its record, with the text
// while it is kept (until delivery unless the session logs messages).
func (s *Service) Message(ctx context.Context, tenant, id, msgID string) (message.Record, error) {
	if _, err := s.Get(tenant, id); err != nil {
		return message.Record{}, err
	}
	if !validMessageID(msgID) {
		return message.Record{}, ErrMessageNotFound
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
	defer cancel()
	rec, err := s.cfg.Messages.Get(ctx, tenant, id, msgID)
	if errors.Is(err, message.ErrNotFound) {
		return message.Record{}, ErrMessageNotFound
	}
	if err != nil {
		return message.Record{}, s.natsErr("get message", err)
	}
	if rec.Status.Final() && rec.Logging {
		// Delivered texts live on only in the message log.
		var e msglog.GetReply
		if err := s.askLog(ctx, msglog.VerbGet, tenant, id, msglog.GetRequest{ID: msgID}, &e); err == nil && e.Found {
			rec.Text = e.Entry.Text
		}
	}
	return rec, nil
}

// validMessageID accepts ids that can be a KV key token.
func validMessageID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
