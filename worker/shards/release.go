package shards

import (
	"context"
	"errors"
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
	// markBatch is the most closed sessions one state-write round takes.
	markBatch = 64
)

// closeAll closes every actor, several at a time, and returns the ones that
// closed cleanly and how many did not within closeGrace. onClosed, when
// set, receives each actor as soon as it closed cleanly.
func closeAll(ctx context.Context, actors []*sessions.Session, onClosed func(*sessions.Session)) (closed []*sessions.Session, stuck int) {
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
				if err == nil && onClosed != nil {
					onClosed(a)
				}
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
// hand-off, a clean stop): it stops like Stop and, while ctx allows (it
// ends at the lease's fence time), records every session that should run
// as connecting with reason worker_stopped, so that nobody reads it as
// logged in while no worker holds it. The records are written while the
// rest of the shard is still closing: each session's as soon as its client
// is disconnected, a window of async writes at a time.
func (s *Shard) Release(ctx context.Context) error {
	start := time.Now()
	snaps := make(chan *report.Snapshot, closeParallel)
	var (
		marked  int
		markErr error
		done    = make(chan struct{})
		// sending guards snaps: a Stop cut short by ctx leaves the shard
		// closing its actors after Release has returned.
		sendMu  sync.Mutex
		sending = true
	)
	go func() {
		defer close(done)
		marked, markErr = s.markClosed(ctx, snaps)
	}()
	s.mu.Lock()
	s.onClosed = func(a *sessions.Session) {
		snap, ok := a.Handover()
		if !ok {
			return
		}
		sendMu.Lock()
		defer sendMu.Unlock()
		if sending {
			snaps <- snap
		}
	}
	s.mu.Unlock()
	err := s.Stop(ctx)
	stopped := time.Now()
	sendMu.Lock()
	sending = false
	close(snaps)
	sendMu.Unlock()
	<-done
	if err != nil {
		return err
	}
	s.mu.Lock()
	closed, streamed, drained := s.closed, s.streamed, s.drainTook
	s.closed = nil
	s.mu.Unlock()
	if !streamed {
		// The shard had stopped before Release (its actors closed without
		// onClosed): their records are written now.
		late := make([]*report.Snapshot, 0, len(closed))
		for _, a := range closed {
			if snap, ok := a.Handover(); ok {
				late = append(late, snap)
			}
		}
		n, err := s.cfg.Deps.Reporter.MarkConnecting(ctx, s.cfg.Fence, late, report.ReasonWorkerStopped)
		marked += n
		markErr = errors.Join(markErr, err)
	}
	s.log.Info("shard released", zap.Int("sessions", len(closed)), zap.Int("marked_connecting", marked),
		zap.Duration("stop", stopped.Sub(start)), zap.Duration("drain", drained), zap.Duration("mark_after_stop", time.Since(stopped)))
	return markErr
}

// markClosed marks the snapshots of closed sessions connecting as they
// arrive, up to a window at a time, until snaps is closed.
func (s *Shard) markClosed(ctx context.Context, snaps <-chan *report.Snapshot) (int, error) {
	var (
		written  int
		firstErr error
		batch    = make([]*report.Snapshot, 0, markBatch)
	)
	flush := func() {
		n, err := s.cfg.Deps.Reporter.MarkConnecting(ctx, s.cfg.Fence, batch, report.ReasonWorkerStopped)
		written += n
		if err != nil && firstErr == nil {
			firstErr = err
		}
		batch = batch[:0]
	}
	for snap := range snaps {
		batch = append(batch, snap)
		// Take whatever else is ready, then write.
	more:
		for len(batch) < markBatch {
			select {
			case next, ok := <-snaps:
				if !ok {
					break more
				}
				batch = append(batch, next)
			default:
				break more
			}
		}
		flush()
	}
	return written, firstErr
}
