package shards

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/worker/report"
	"github.com/switchboard-gw/switchboard/worker/sessions"
)

const (
	// closeParallel bounds the sessions of one shard being closed at once:
	// a close is a socket close, so a shard of thousands stops in moments.
	closeParallel = 32
	// closeGrace is how long a close waits for what the session is doing.
	// A connect stuck in a handshake the server does not answer would hold
	// it for whatsmeow's 20 s; such a session is dropped as soon as the
	// connect returns instead (see sessions.Session.Close).
	closeGrace = 2 * time.Second
)

// closeAll closes every actor, several at a time, and returns the ones that
// closed cleanly and how many did not within closeGrace.
func closeAll(ctx context.Context, actors []*sessions.Session) (closed []*sessions.Session, stuck int) {
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
				cctx, cancel := context.WithTimeout(ctx, closeGrace)
				err := a.Close(cctx)
				cancel()
				mu.Lock()
				if err != nil {
					stuck++
				} else {
					out = append(out, a)
				}
				mu.Unlock()
			}
		}()
	}
	for _, a := range actors {
		work <- a
	}
	close(work)
	wg.Wait()
	return out, stuck
}

// Release gives the shard up while its lease is still held (a drain, a
// hand-off, a clean stop): it stops like Stop, then, while ctx allows (it
// ends at the lease's fence time), records every session that should run
// as connecting with reason worker_stopped, so that nobody reads it as
// logged in while no worker holds it.
func (s *Shard) Release(ctx context.Context) error {
	start := time.Now()
	if err := s.Stop(ctx); err != nil {
		return err
	}
	stopped := time.Now()
	s.mu.Lock()
	closed, drained := s.closed, s.drainTook
	s.closed = nil
	s.mu.Unlock()
	snaps := make([]*report.Snapshot, 0, len(closed))
	for _, a := range closed {
		if snap, ok := a.Handover(); ok {
			snaps = append(snaps, snap)
		}
	}
	n, err := s.cfg.Deps.Reporter.MarkConnecting(ctx, s.cfg.Fence, snaps, report.ReasonWorkerStopped)
	s.log.Info("shard released", zap.Int("sessions", len(closed)), zap.Int("marked_connecting", n),
		zap.Duration("stop", stopped.Sub(start)), zap.Duration("drain", drained), zap.Duration("mark", time.Since(stopped)))
	return err
}
