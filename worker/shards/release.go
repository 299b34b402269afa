package shards

import (
	"context"
	"sync"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/worker/report"
	"github.com/switchboard-gw/switchboard/worker/sessions"
)

// closeParallel bounds the sessions of one shard being closed at once: a
// close is a socket close, so a shard of thousands stops in moments.
const closeParallel = 32

// closeAll closes every actor, several at a time, and returns the ones that
// closed cleanly; timedOut is told about the others.
func closeAll(ctx context.Context, actors []*sessions.Session, timedOut func(*sessions.Session)) []*sessions.Session {
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		out = make([]*sessions.Session, 0, len(actors))
	)
	work := make(chan *sessions.Session)
	for range min(closeParallel, len(actors)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range work {
				if err := a.Close(ctx); err != nil {
					timedOut(a)
					continue
				}
				mu.Lock()
				out = append(out, a)
				mu.Unlock()
			}
		}()
	}
	for _, a := range actors {
		work <- a
	}
	close(work)
	wg.Wait()
	return out
}

// Release gives the shard up while its lease is still held (a drain, a
// hand-off, a clean stop): it stops like Stop, then, while ctx allows (it
// ends at the lease's fence time), records every session that should run
// as connecting with reason worker_stopped, so that nobody reads it as
// logged in while no worker holds it.
func (s *Shard) Release(ctx context.Context) error {
	if err := s.Stop(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	closed := s.closed
	s.closed = nil
	s.mu.Unlock()
	snaps := make([]*report.Snapshot, 0, len(closed))
	for _, a := range closed {
		if snap, ok := a.Handover(); ok {
			snaps = append(snaps, snap)
		}
	}
	n, err := s.cfg.Deps.Reporter.MarkConnecting(ctx, s.cfg.Fence, snaps, report.ReasonWorkerStopped)
	s.log.Info("shard released", zap.Int("sessions", len(closed)), zap.Int("marked_connecting", n))
	return err
}
