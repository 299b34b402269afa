package report

import (
	"context"
	"errors"
	"strconv"
	"sync"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// ReasonWorkerStopped is State.LastError of a session whose worker stopped
// or handed its shard off while the session should run: it is connecting
// again, on whichever worker takes the shard next.
const ReasonWorkerStopped = "worker_stopped"

// markParallel bounds the state writes of one MarkConnecting call that are
// under way at once.
const markParallel = 16

// NeedsConnecting reports whether rec, owned under fence, claims more than
// it may once its owner changes: it should run, its status is not a final
// one (STOPPED, FAILED, LOGGED_OUT), and it does not already read STARTING
// with reason under this fence.
func NeedsConnecting(rec session.Record, fence Fence, reason string) bool {
	if rec.Desired != session.DesiredRunning {
		return false
	}
	st := rec.State
	switch st.Status {
	case session.StatusStopped, session.StatusFailed, session.StatusLoggedOut:
		return false
	case session.StatusStarting:
		return st.LastError != reason || st.Epoch != fence.Epoch
	}
	return true
}

// MarkConnecting writes status STARTING with reason as LastError on every
// snapshot that NeedsConnecting, several at a time, and publishes each
// status change. It is how ownership changes reach the records: a takeover
// (reason "") before its sessions reconnect, a drain or stop
// (ReasonWorkerStopped) after they were disconnected. Snapshots are updated
// in place; the ones refused (newer epoch, record gone) are left as they
// were. It returns how many were written and the first error other than a
// refusal.
func (r *Reporter) MarkConnecting(ctx context.Context, fence Fence, snaps []*Snapshot, reason string) (int, error) {
	todo := make([]*Snapshot, 0, len(snaps))
	for _, snap := range snaps {
		if NeedsConnecting(snap.Record, fence, reason) {
			todo = append(todo, snap)
		}
	}
	// Most snapshots are current: their writes go out as async publishes,
	// awaited a window at a time. The rest (a lost compare-and-set, an
	// unknown revision) take the read-and-retry path.
	written, retry := r.markAsync(ctx, fence, todo, reason)
	n, err := r.markEach(ctx, fence, retry, reason)
	return written + n, err
}

// markEach writes the snapshots one compare-and-set loop each, several at a
// time.
func (r *Reporter) markEach(ctx context.Context, fence Fence, snaps []*Snapshot, reason string) (int, error) {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		written  int
		firstErr error
	)
	work := make(chan *Snapshot)
	for range min(markParallel, len(snaps)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for snap := range work {
				err := r.markOne(ctx, fence, snap, reason)
				mu.Lock()
				switch {
				case err == nil:
					written++
				case errors.Is(err, ErrFenced) || errors.Is(err, ErrGone):
				case firstErr == nil:
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, snap := range snaps {
		if !NeedsConnecting(snap.Record, fence, reason) {
			continue
		}
		select {
		case work <- snap:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return written, firstErr
}

func (r *Reporter) markOne(ctx context.Context, fence Fence, snap *Snapshot, reason string) error {
	prev, err := r.UpdateState(ctx, fence, snap, func(x *session.State) {
		x.Status, x.LastError = session.StatusStarting, reason
	})
	if err != nil {
		return err
	}
	if prev.Status == session.StatusStarting {
		return nil
	}
	rec := snap.Record
	id := EventID(rec.Tenant, rec.ID, event.StatusChanged, strconv.FormatUint(snap.Revision, 10))
	if err := r.Publish(ctx, rec.Tenant, rec.ID, event.StatusChanged, id, event.Status{
		Status: string(session.StatusStarting), Previous: string(prev.Status), LastError: reason,
	}); err != nil {
		r.log.Debug("status event not published", zap.Error(err))
	}
	return nil
}
