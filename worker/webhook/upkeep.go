package webhook

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// keepInProgress stops the server from redelivering events that wait in a
// lane.
func (d *Dispatcher) keepInProgress(ctx context.Context) {
	t := time.NewTicker(d.cfg.progressEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.held.progress()
		}
	}
}

// prune deletes old outcome rows and expired dead letters, at start and
// every pruneEvery.
func (d *Dispatcher) prune(ctx context.Context) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		now := d.now()
		if _, err := PruneDeliveries(ctx, d.db, now.Add(-d.cfg.Retention)); err != nil && ctx.Err() == nil {
			d.log.Warn("webhook prune failed", zap.Error(err))
		}
		if _, err := PruneDeadLetters(ctx, d.db, now.Add(-d.cfg.DeadLetterRetention)); err != nil && ctx.Err() == nil {
			d.log.Warn("webhook prune failed", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
