package webhook

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/event"
)

// handle delivers one event to the matching webhooks of its session, then
// acks it, or naks it with the backoff delay when a target is to be retried.
func (d *Dispatcher) handle(ctx context.Context, msg jetstream.Msg) {
	md, err := msg.Metadata()
	if err != nil {
		d.log.Warn("webhook event without metadata", zap.Error(err))
		_ = msg.Term()
		return
	}
	attempt := int(md.NumDelivered)
	var env event.Envelope
	if err := json.Unmarshal(msg.Data(), &env); err != nil || env.ID == "" || env.Tenant == "" || env.Session == "" {
		// Redelivery cannot fix a malformed event.
		d.log.Warn("webhook event undecodable", zap.String("subject", msg.Subject()), zap.Uint64("stream_seq", md.Sequence.Stream))
		_ = msg.Term()
		return
	}
	log := d.log.With(zap.String("tenant", env.Tenant), zap.String("session", env.Session),
		zap.String("event_id", env.ID), zap.String("event_type", string(env.Type)), zap.Int("attempt", attempt))

	targets, err := d.due(ctx, &env)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("webhook targets unavailable", zap.Error(err))
		}
		d.retry(ctx, msg, attempt, log)
		return
	}
	if len(targets) == 0 {
		d.ack(msg, log)
		return
	}

	outcomes := make([]outcome, len(targets))
	now := d.now()
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			start := time.Now()
			outcomes[i] = post(ctx, d.client, d.cfg.Timeout, t, env.Type, env.ID, msg.Data(), now)
			d.cfg.Metrics.Attempt(outcomes[i].status, time.Since(start))
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		// Stopping cut the requests short: they are no verdict on the
		// targets. Hand the event to another worker as it is.
		_ = msg.Nak()
		return
	}

	pending := false
	for i, t := range targets {
		o := outcomes[i]
		dl := delivery{
			tenant: env.Tenant, session: env.Session, eventID: env.ID, eventType: string(env.Type),
			url: t.url, attempt: attempt, outcome: o, at: d.now(),
			final: o.ok() || o.permanent || attempt >= d.cfg.MaxAttempts,
		}
		tlog := log.With(zap.String("target", redact(t.url)), zap.Int("status", o.status))
		switch {
		case o.ok():
			tlog.Debug("webhook delivered")
			if err := recordDelivery(ctx, d.db, dl); err != nil {
				// The target has the event; without the row a retry of a
				// sibling target may resend it (at least once).
				tlog.Warn("webhook outcome not recorded", zap.Error(err))
			}
		case dl.final:
			tlog.Warn("webhook dead-lettered", zap.String("error", o.err), zap.Bool("permanent", o.permanent))
			if err := deadLetter(ctx, d.db, dl, msg.Data()); err != nil {
				tlog.Error("webhook dead letter not recorded", zap.Error(err))
				pending = pending || attempt < d.cfg.MaxAttempts
			} else {
				d.cfg.Metrics.DeadLetter()
			}
		default:
			tlog.Debug("webhook attempt failed", zap.String("error", o.err))
			if err := recordDelivery(ctx, d.db, dl); err != nil {
				tlog.Warn("webhook outcome not recorded", zap.Error(err))
			}
			pending = true
		}
	}
	if pending {
		d.retry(ctx, msg, attempt, log)
		return
	}
	d.ack(msg, log)
}

// due returns the webhooks of env's session that want env and have no final
// outcome for it yet.
func (d *Dispatcher) due(ctx context.Context, env *event.Envelope) ([]target, error) {
	all, live, err := d.mirror.targets(ctx, env.Tenant, env.Session)
	if err != nil || !live {
		return nil, err
	}
	var want []target
	for _, t := range all {
		if wants(t.events, env) {
			want = append(want, t)
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	done, err := finalTargets(ctx, d.db, env.Tenant, env.Session, env.ID)
	if err != nil {
		return nil, err
	}
	out := want[:0]
	for _, t := range want {
		if !done[hashURL(t.url)] {
			out = append(out, t)
		}
	}
	return out, nil
}

// retry asks for redelivery after the backoff of this attempt. Past
// MaxAttempts the server delivers no more.
func (d *Dispatcher) retry(ctx context.Context, msg jetstream.Msg, attempt int, log *zap.Logger) {
	if ctx.Err() != nil {
		_ = msg.Nak()
		return
	}
	if err := msg.NakWithDelay(d.cfg.backoff(attempt)); err != nil {
		log.Warn("webhook nak failed", zap.Error(err))
	}
}

func (d *Dispatcher) ack(msg jetstream.Msg, log *zap.Logger) {
	if err := msg.Ack(); err != nil {
		log.Warn("webhook ack failed", zap.Error(err))
	}
}
