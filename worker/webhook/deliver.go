package webhook

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// recordPause is how long a lane waits before writing a final outcome
// again when the database fails: the lane stays on its head meanwhile.
const recordPause = time.Second

// deliver sends h, the head of lane l, until it is delivered or
// dead-lettered (true), retrying it before anything behind it; false when
// ctx ended first, leaving h held for Stop to hand back.
func (d *Dispatcher) deliver(ctx context.Context, l *lane, h *heldMsg) bool {
	log := d.laneLog(l, h)
	attempt := 0
	for {
		if ctx.Err() != nil {
			return false
		}
		t, ok, err := d.currentTarget(ctx, l.key.tenant, l.key.session, l.key.url)
		if err != nil {
			log.Warn("webhook target unavailable", zap.Error(err))
			if !sleep(ctx, routeRetryPause) {
				return false
			}
			continue
		}
		if !ok {
			return true // webhook removed or session deleted: nothing owed
		}
		o, sent := l.ep.send(ctx, func() outcome {
			start := time.Now()
			o := post(ctx, d.client, d.cfg.Timeout, t, h.env.Type, h.env.ID, h.msg.Data(), d.now())
			d.cfg.Metrics.Attempt(o.status, time.Since(start))
			return o
		})
		if !sent {
			// Breaker open: parked, holding no slot, no attempt counted.
			if !sleep(ctx, d.cfg.parkPause()) {
				return false
			}
			continue
		}
		if ctx.Err() != nil && !o.ok() {
			return false // cut short by Stop: no verdict on the target
		}
		attempt++
		dl := delivery{
			tenant: l.key.tenant, session: l.key.session, eventID: h.env.ID, eventType: string(h.env.Type),
			url: l.key.url, attempt: attempt, outcome: o, at: d.now(),
			final: o.ok() || o.permanent || attempt >= d.cfg.MaxAttempts,
		}
		tlog := log.With(zap.Int("attempt", attempt), zap.Int("status", o.status))
		switch {
		case o.ok():
			tlog.Debug("webhook delivered")
			// Detached: the receiver has the event even if we are stopping.
			if err := recordDelivery(context.WithoutCancel(ctx), d.db, dl); err != nil {
				// Without the row a redelivery may resend it (at least once).
				tlog.Warn("webhook outcome not recorded", zap.Error(err))
			}
			return true
		case dl.final:
			tlog.Warn("webhook dead-lettered", zap.String("error", o.err), zap.Bool("permanent", o.permanent))
			return d.recordDeadLetter(ctx, dl, h.msg.Data(), tlog)
		default:
			tlog.Debug("webhook attempt failed", zap.String("error", o.err))
			if err := recordDelivery(ctx, d.db, dl); err != nil && ctx.Err() == nil {
				tlog.Warn("webhook outcome not recorded", zap.Error(err))
			}
			if !sleep(ctx, d.cfg.backoff(attempt)) {
				return false
			}
		}
	}
}

// recordDeadLetter writes the dead letter of dl, retrying until it is
// stored (true) or ctx ends (false: the event is handed back, and retried
// by the successor, rather than lost).
func (d *Dispatcher) recordDeadLetter(ctx context.Context, dl delivery, body []byte, log *zap.Logger) bool {
	for {
		err := deadLetter(ctx, d.db, d.cfg.Sealer, dl, body)
		if err == nil {
			d.cfg.Metrics.DeadLetter()
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		log.Error("webhook dead letter not recorded", zap.Error(err))
		if !sleep(ctx, recordPause) {
			return false
		}
	}
}

// overflow dead-letters h for url at once because the endpoint's backlog is
// full; false when it could not be recorded.
func (d *Dispatcher) overflow(ctx context.Context, h *heldMsg, url string) bool {
	dl := delivery{
		tenant: h.env.Tenant, session: h.env.Session, eventID: h.env.ID, eventType: string(h.env.Type),
		url: url, attempt: 0, outcome: outcome{err: "endpoint backlog full", permanent: true}, final: true, at: d.now(),
	}
	if err := deadLetter(ctx, d.db, d.cfg.Sealer, dl, h.msg.Data()); err != nil {
		d.log.Error("webhook dead letter not recorded", zap.Error(err), zap.String("target", redact(url)))
		return false
	}
	d.cfg.Metrics.DeadLetter()
	d.log.Warn("webhook endpoint backlog full; event dead-lettered", zap.String("tenant", h.env.Tenant),
		zap.String("session", h.env.Session), zap.String("event_id", h.env.ID), zap.String("target", redact(url)))
	return true
}
