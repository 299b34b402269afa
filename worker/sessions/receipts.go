package sessions

import (
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/message"
	"github.com/switchboard-gw/switchboard/shared/msglog"
)

// onReceipt moves outbound messages to delivered or read when the
// recipient's device says so. Receipts of messages Switchboard did not send
// (no record) change nothing.
func (s *Session) onReceipt(e *events.Receipt) {
	if e.IsFromMe {
		return
	}
	var next message.Status
	switch e.Type {
	case types.ReceiptTypeDelivered:
		next = message.StatusDelivered
	case types.ReceiptTypeRead, types.ReceiptTypePlayed:
		next = message.StatusRead
	default:
		return
	}
	for _, id := range e.MessageIDs {
		s.advance(string(id), "", next, "")
	}
}

// logInbound writes an inbound message to the log when the session logs
// messages.
func (s *Session) logInbound(e *events.Message, m event.Message) {
	if s.deps.MsgLog == nil || !s.config(false).MessageLogging {
		return
	}
	ctx, cancel := s.opCtx()
	defer cancel()
	now := s.deps.Reporter.Now()
	entry := msglog.Entry{
		ID: m.ID, Direction: message.Inbound, Chat: e.Info.Chat.ToNonAD().String(), From: e.Info.Sender.ToNonAD().String(),
		To: s.ownJID(), Text: m.Text, Status: message.StatusReceived, CreatedAt: e.Info.Timestamp.UTC(), UpdatedAt: now,
	}
	if entry.CreatedAt.IsZero() {
		entry.CreatedAt = now
	}
	if err := s.deps.MsgLog.Add(ctx, s.tenant, s.id, entry); err != nil {
		s.warn("message log write failed", zap.Error(err))
	}
}
