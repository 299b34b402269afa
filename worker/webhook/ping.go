package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"

	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/webhookctl"
)

// Ping sends a signed ping event to the session's webhook with url (its
// first webhook when url is empty) through the same client, guard and
// signature as deliveries, and reports the receiver's answer. Nothing is
// recorded and nothing is retried.
func (d *Dispatcher) Ping(ctx context.Context, tenant, session, url string) webhookctl.TestReply {
	targets, live, err := d.mirror.targets(ctx, tenant, session)
	if err != nil {
		return webhookctl.TestReply{Error: errInternal}
	}
	var t *target
	for i := range targets {
		if url == "" || targets[i].url == url {
			t = &targets[i]
			break
		}
	}
	if !live || t == nil {
		return webhookctl.TestReply{Error: ctlError(webhookctl.CodeNoWebhook, "the session has no such webhook")}
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	now := d.now()
	env := event.Envelope{
		ID: tenant + "/" + session + "/ping/" + hex.EncodeToString(rnd[:]), Type: event.Ping,
		Tenant: tenant, Session: session, Time: now.UTC(), Data: json.RawMessage(`{}`),
	}
	body, err := json.Marshal(env)
	if err != nil {
		return webhookctl.TestReply{Error: errInternal}
	}
	o := post(ctx, d.client, d.cfg.Timeout, *t, env.Type, env.ID, body, now)
	return webhookctl.TestReply{EventID: env.ID, URL: t.url, StatusCode: o.status, Delivered: o.ok(), Failure: o.err}
}
