package worker

import (
	"context"
	"errors"

	"go.uber.org/zap"
)

// sweepOrphans deletes, once at start, the devices (and their keys) that no
// session links to any more: left by a logout whose delete failed, or by a
// crash between pairing and linking. Device keys of a session that is gone
// must not stay in the database.
func (w *Worker) sweepOrphans(ctx context.Context) {
	if w.cfg.OrphanGrace < 0 {
		return
	}
	n, err := w.ds.SweepOrphans(ctx, w.cfg.OrphanGrace)
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		w.log.Warn("orphan device sweep failed", zap.Int("deleted", n), zap.Error(err))
	case n > 0:
		w.log.Info("orphan devices deleted", zap.Int("deleted", n))
	}
}
