package scheduler

import (
	"context"
	"errors"
	"sync"

	"go.uber.org/zap"
)

// errNotLeader tells gocron to skip a run on a replica that does not lead.
var errNotLeader = errors.New("scheduler: not the leader")

// leader tracks the leader lease: it hands sweeps a context that is
// cancelled the moment the lease is lost, and implements gocron.Elector.
type leader struct {
	parent   context.Context
	sweeping *sync.Mutex
	metrics  *metrics
	log      *zap.Logger

	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
}

func newLeader(parent context.Context, sweeping *sync.Mutex, m *metrics, log *zap.Logger) *leader {
	return &leader{parent: parent, sweeping: sweeping, metrics: m, log: log}
}

// acquired runs on the keeper's goroutine when the lease is won.
func (l *leader) acquired(epoch uint64) {
	l.mu.Lock()
	l.ctx, l.cancel = context.WithCancel(l.parent)
	l.mu.Unlock()
	l.metrics.leader.Set(1)
	l.log.Info("leading", zap.Uint64("epoch", epoch))
}

// lost runs on the keeper's goroutine when the lease is lost, fenced or
// released. The keeper's contract: no work under the lease may continue
// after it returns, so it cancels the sweep and waits for it to end.
func (l *leader) lost() {
	l.mu.Lock()
	if l.cancel != nil {
		l.cancel()
	}
	l.ctx, l.cancel = nil, nil
	l.mu.Unlock()
	l.sweeping.Lock()
	//nolint:staticcheck // an empty critical section: we only wait for the sweep to end.
	l.sweeping.Unlock()
	l.metrics.leader.Set(0)
	l.log.Info("no longer leading")
}

// context returns the context of the current leadership.
func (l *leader) context() (context.Context, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ctx, l.ctx != nil
}

// IsLeader implements gocron.Elector.
func (l *leader) IsLeader(context.Context) error {
	if _, ok := l.context(); !ok {
		return errNotLeader
	}
	return nil
}
