package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/event"
)

// Replay errors.
var (
	// ErrTargetRemoved: the dead letter's URL is no longer a webhook of its
	// session (or the session is gone), so there is no secret to sign with
	// and no consent to send there.
	ErrTargetRemoved = errors.New("webhook: dead letter target no longer configured")
	// ErrReplayFailed: the target did not accept the replay; the dead letter
	// stays, with the new error and one more attempt counted.
	ErrReplayFailed = errors.New("webhook: replay not accepted")
)

// DeadLetters returns up to limit dead letters of tenant/session, oldest
// first.
func (d *Dispatcher) DeadLetters(ctx context.Context, tenant, session string, limit int) ([]DeadLetter, error) {
	return ListDeadLetters(ctx, d.db, tenant, session, limit, 0)
}

// Replay sends dead letter id of tenant/session once, now, with its event
// id, a fresh timestamp and a signature from the webhook's current secret
// (the same scheme as every delivery), ignoring its event filter. On a 2xx
// the dead letter is removed and the outcome row marked delivered. It works
// whether or not the dispatcher is started.
func (d *Dispatcher) Replay(ctx context.Context, tenant, session string, deadLetterID int64) error {
	dl, err := GetDeadLetter(ctx, d.db, tenant, session, deadLetterID)
	if err != nil {
		return err
	}
	body, err := openBody(d.cfg.Sealer, string(dl.Body), bodyAD(dl.Tenant, dl.Session, dl.EventID, hashURL(dl.URL)))
	if err != nil {
		return err
	}
	targets, _, err := d.mirror.targets(ctx, tenant, session)
	if err != nil {
		return err
	}
	var t *target
	for i := range targets {
		if targets[i].url == dl.URL {
			t = &targets[i]
		}
	}
	if t == nil {
		return ErrTargetRemoved
	}
	start := time.Now()
	o := post(ctx, d.client, d.cfg.Timeout, *t, event.Type(dl.EventType), dl.EventID, body, d.now())
	d.cfg.Metrics.Attempt(o.status, time.Since(start))
	if !o.ok() {
		if err := replayFailed(ctx, d.db, dl, o); err != nil {
			return err
		}
		return fmt.Errorf("%w: %s", ErrReplayFailed, o.err)
	}
	if err := replayed(ctx, d.db, dl, delivery{
		tenant: tenant, session: session, eventID: dl.EventID, eventType: dl.EventType,
		url: dl.URL, attempt: dl.Attempts + 1, outcome: o, final: true, at: d.now(),
	}); err != nil {
		return err
	}
	d.log.Info("webhook dead letter replayed", zap.String("tenant", tenant), zap.String("session", session),
		zap.String("event_id", dl.EventID), zap.String("target", redact(dl.URL)))
	return nil
}

// replayEach replays ids one after the other, oldest first, logging the
// failures (the dead letters stay, with the error recorded).
func (d *Dispatcher) replayEach(ctx context.Context, tenant, session string, ids []int64) {
	for _, id := range ids {
		if ctx.Err() != nil {
			return
		}
		if err := d.Replay(ctx, tenant, session, id); err != nil && ctx.Err() == nil {
			d.log.Warn("webhook replay failed", zap.String("tenant", tenant), zap.String("session", session),
				zap.Int64("dead_letter", id), zap.Error(err))
		}
	}
}
