package report

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// Publish sends one event to WA_EVT. id is stable for the occurrence (it is
// also the Nats-Msg-Id), so a retried publish is de-duplicated.
func (r *Reporter) Publish(ctx context.Context, tenant, session string, typ event.Type, id string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("report: encode %s data: %w", typ, err)
	}
	env := event.Envelope{ID: id, Type: typ, Tenant: tenant, Session: session, Time: r.cfg.Now(), Data: raw}
	b, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("report: encode %s: %w", typ, err)
	}
	if _, err := r.cfg.JS.Publish(ctx, subject.Event(tenant, session, string(typ)), b, jetstream.WithMsgID(id)); err != nil {
		return fmt.Errorf("report: publish %s: %w", typ, err)
	}
	return nil
}

// EventID builds a stable event id: tenant/session/type/occurrence.
func EventID(tenant, session string, typ event.Type, occurrence string) string {
	return tenant + "/" + session + "/" + string(typ) + "/" + occurrence
}
