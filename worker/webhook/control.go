package webhook

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/subject"
	"github.com/switchboard-gw/switchboard/shared/webhookctl"
)

// control answers the webhook control requests (subject.WebhookControl)
// for the api: any worker answers (queue group), the database is shared.
// The api has checked the tenant's key and that the session is its own;
// every query here is scoped by the tenant and session of the subject.
func (d *Dispatcher) control(ctx context.Context) nats.MsgHandler {
	return func(m *nats.Msg) {
		tenant, session, op, ok := subject.ParseWebhookControl(m.Subject)
		if !ok {
			return
		}
		// Off the subscription's goroutine: a ping may wait for Timeout.
		if !d.goBackground() {
			return // stopping
		}
		go func() {
			defer d.replays.Done()
			reply := d.answer(ctx, tenant, session, op, m.Data)
			raw, err := json.Marshal(reply)
			if err == nil {
				err = m.Respond(raw)
			}
			if err != nil && ctx.Err() == nil {
				d.log.Warn("webhook control reply failed", zap.String("op", op), zap.Error(err))
			}
		}()
	}
}

func ctlError(code, msg string) *webhookctl.Error { return &webhookctl.Error{Code: code, Message: msg} }

var errInternal = ctlError(webhookctl.CodeInternal, "webhook store unavailable")

// answer runs one control operation and returns its reply.
func (d *Dispatcher) answer(ctx context.Context, tenant, session, op string, data []byte) any {
	switch op {
	case subject.WebhookOpDeadLetters:
		var req webhookctl.ListRequest
		if len(data) > 0 && json.Unmarshal(data, &req) != nil {
			return webhookctl.ListReply{Error: ctlError(webhookctl.CodeInvalid, "malformed request")}
		}
		return d.list(ctx, tenant, session, req)
	case subject.WebhookOpReplay:
		var req webhookctl.ReplayRequest
		if len(data) > 0 && json.Unmarshal(data, &req) != nil {
			return webhookctl.ReplayReply{Error: ctlError(webhookctl.CodeInvalid, "malformed request")}
		}
		return d.replay(ctx, tenant, session, req)
	case subject.WebhookOpTest:
		var req webhookctl.TestRequest
		if len(data) > 0 && json.Unmarshal(data, &req) != nil {
			return webhookctl.TestReply{Error: ctlError(webhookctl.CodeInvalid, "malformed request")}
		}
		return d.Ping(ctx, tenant, session, req.URL)
	}
	return webhookctl.ListReply{Error: ctlError(webhookctl.CodeInvalid, "unknown operation")}
}

func (d *Dispatcher) list(ctx context.Context, tenant, session string, req webhookctl.ListRequest) webhookctl.ListReply {
	total, err := CountDeadLetters(ctx, d.db, tenant, session)
	if err != nil {
		d.log.Warn("webhook dead letters unavailable", zap.Error(err))
		return webhookctl.ListReply{Error: errInternal}
	}
	out := webhookctl.ListReply{DeadLetters: []webhookctl.DeadLetter{}, Total: total}
	if req.Offset >= total {
		return out
	}
	dls, err := ListDeadLetters(ctx, d.db, tenant, session, req.Limit, req.Offset)
	if err != nil {
		d.log.Warn("webhook dead letters unavailable", zap.Error(err))
		return webhookctl.ListReply{Error: errInternal}
	}
	for _, dl := range dls {
		out.DeadLetters = append(out.DeadLetters, webhookctl.DeadLetter{
			ID: dl.ID, EventID: dl.EventID, EventType: dl.EventType, URL: dl.URL, StatusCode: dl.StatusCode,
			Error: dl.LastError, Attempts: dl.Attempts, FailedAt: dl.CreatedAt,
		})
	}
	return out
}

// replay accepts the session's dead letters named by req (all when none
// is named) and replays them in the background, oldest first.
func (d *Dispatcher) replay(ctx context.Context, tenant, session string, req webhookctl.ReplayRequest) webhookctl.ReplayReply {
	ids, err := deadLetterIDs(ctx, d.db, tenant, session)
	if err != nil {
		d.log.Warn("webhook dead letters unavailable", zap.Error(err))
		return webhookctl.ReplayReply{Error: errInternal}
	}
	if len(req.IDs) > 0 {
		ids = slices.DeleteFunc(ids, func(id int64) bool { return !slices.Contains(req.IDs, id) })
	}
	if len(ids) > 0 && d.goBackground() {
		go func() { defer d.replays.Done(); d.replayEach(ctx, tenant, session, ids) }()
	}
	return webhookctl.ReplayReply{Accepted: len(ids)}
}
