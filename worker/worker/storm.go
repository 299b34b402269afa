package worker

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/memlimit"
)

// A login storm is a worker logging many sessions in at once: a restart,
// or a takeover of a crashed worker's shards. While one lasts the GC
// target is raised (memlimit.BeginStorm); the storm's allocation would
// otherwise run the collector every few megabytes.
const (
	// stormPoll is how often the connects wanted are counted.
	stormPoll = 250 * time.Millisecond
	// stormStart is the count of connects wanted (being loaded by a
	// starting shard, queued at the pacer, waiting for a connect slot or
	// in flight) at which a storm begins:
	// twice the connects in flight of a two-core worker.
	stormStart = 256
	// stormEnd is the count at which it is over.
	stormEnd = 32
)

// watchStorms raises the GC target while connects wanted stay above
// stormEnd after reaching stormStart, until ctx ends.
func (w *Worker) watchStorms(ctx context.Context) {
	t := time.NewTicker(stormPoll)
	defer t.Stop()
	on := false
	defer func() {
		if on {
			memlimit.EndStorm() // stopping: no collection to wait for
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		wanted := int64(w.pacer.Pending()) + w.deps.Connects.Load() + w.deps.Loading.Load()
		switch {
		case !on && wanted >= stormStart:
			on = true
			memlimit.BeginStorm()
			w.log.Info("login storm: GC target raised", zap.Int64("connects", wanted), zap.Int("gc_percent", memlimit.StormGCPercent))
		case on && wanted <= stormEnd:
			on = false
			start := time.Now()
			if memlimit.EndStorm() {
				memlimit.ReturnStormGarbage()
			}
			w.log.Info("login storm over", zap.Duration("returned_in", time.Since(start)))
		}
	}
}
