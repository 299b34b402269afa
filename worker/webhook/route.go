package webhook

import (
	"context"
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/event"
)

// routeRetryPause is how long the pull loop waits before reading a session
// or the outcome rows again when KV or the database fails. The loop waits
// rather than skipping the event, which would put it behind later ones.
const routeRetryPause = 250 * time.Millisecond

// route hands msg to the lanes of the webhooks that want it, or acks it
// when none does.
func (d *Dispatcher) route(ctx context.Context, msg jetstream.Msg) {
	md, err := msg.Metadata()
	if err != nil {
		d.log.Warn("webhook event without metadata", zap.Error(err))
		_ = msg.Term()
		return
	}
	var env event.Envelope
	if err := json.Unmarshal(msg.Data(), &env); err != nil || env.ID == "" || env.Tenant == "" || env.Session == "" {
		// Redelivery cannot fix a malformed event.
		d.log.Warn("webhook event undecodable", zap.String("subject", msg.Subject()), zap.Uint64("stream_seq", md.Sequence.Stream))
		_ = msg.Term()
		return
	}
	var urls []string
	for {
		urls, err = d.due(ctx, &env, md.NumDelivered > 1)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			// Stopping: hold it unsent, so Stop hands it back in order.
			d.held.add(msg, md.Sequence.Stream, env, 1)
			return
		}
		d.log.Warn("webhook targets unavailable", zap.Error(err), zap.String("tenant", env.Tenant), zap.String("session", env.Session))
		select {
		case <-ctx.Done():
		case <-time.After(routeRetryPause):
		}
	}
	if ctx.Err() != nil {
		d.held.add(msg, md.Sequence.Stream, env, 1)
		return
	}
	if len(urls) == 0 {
		if err := msg.Ack(); err != nil {
			d.log.Warn("webhook ack failed", zap.Error(err))
		}
		return
	}
	h := d.held.add(msg, md.Sequence.Stream, env, len(urls))
	for _, u := range urls {
		d.lanes.enqueue(ctx, h, u)
	}
}

// due returns the URLs of env's session's webhooks that want env; for a
// redelivered event, those without a final outcome yet.
func (d *Dispatcher) due(ctx context.Context, env *event.Envelope, redelivered bool) ([]string, error) {
	all, live, err := d.mirror.targets(ctx, env.Tenant, env.Session)
	if err != nil || !live {
		return nil, err
	}
	var want []string
	for _, t := range all {
		if wants(t.events, env) {
			want = append(want, t.url)
		}
	}
	if len(want) == 0 || !redelivered {
		return want, nil
	}
	done, err := finalTargets(ctx, d.db, env.Tenant, env.Session, env.ID)
	if err != nil {
		return nil, err
	}
	out := want[:0]
	for _, u := range want {
		if !done[hashURL(u)] {
			out = append(out, u)
		}
	}
	return out, nil
}

// currentTarget returns the session's webhook with url as configured now
// (its secret may have changed since the event was queued); ok is false
// when it was removed or the session is gone.
func (d *Dispatcher) currentTarget(ctx context.Context, tenant, session, url string) (target, bool, error) {
	all, live, err := d.mirror.targets(ctx, tenant, session)
	if err != nil || !live {
		return target{}, false, err
	}
	for _, t := range all {
		if t.url == url {
			return t, true, nil
		}
	}
	return target{}, false, nil
}
