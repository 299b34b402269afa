package worker

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/worker/sessions"
)

// livenessInFlight bounds the liveness writes of one walk that are under way
// at once, so a walk over thousands of sessions is a steady trickle of
// compare-and-set writes rather than a burst.
const livenessInFlight = 32

// keepLive is the one liveness loop of the worker: every period/3 it walks
// the sessions of its shards and rewrites State.LastKeepalive of the ones
// that are WORKING on a healthy socket and whose LastKeepalive is at least
// 2/3 of a period old, so none goes longer than a period without one. A
// session whose socket is dead or missing keepalives is skipped, so the
// scheduler sees it stale.
func (w *Worker) keepLive(ctx context.Context, period time.Duration) {
	tick := period / 3
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.livenessWalk(ctx, period-tick)
	}
}

// livenessWalk queues a liveness check on each due session, at most
// livenessInFlight at a time, and returns when they are done.
func (w *Worker) livenessWalk(ctx context.Context, age time.Duration) {
	owned := w.owned()
	now := time.Now()
	slots := make(chan struct{}, livenessInFlight)
	failed := 0
	results := make(chan error, livenessInFlight)
	pending := 0
	collect := func() {
		if err := <-results; err != nil {
			failed++
		}
		pending--
		<-slots
	}
	for _, o := range owned {
		o.sh.Each(func(a *sessions.Session) {
			if ctx.Err() != nil || !a.LivenessDue(now, age) {
				return
			}
			for len(slots) == cap(slots) {
				collect()
			}
			slots <- struct{}{}
			pending++
			a.Liveness(age, func(err error) { results <- err })
		})
	}
	for pending > 0 {
		collect()
	}
	if failed > 0 && ctx.Err() == nil {
		w.log.Debug("liveness writes failed", zap.Int("failed", failed))
	}
}
