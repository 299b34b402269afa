package cluster

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// commandFlow keeps one command in flight per session, through the api, the
// way a client would: send, wait until the worker has applied it (its id
// shows in the session state), send the next.
type commandFlow struct {
	c      *cluster
	cancel context.CancelFunc
	// waitCtx bounds the wait for commands already accepted; it ends
	// only after stop.
	waitCtx    context.Context
	waitCancel context.CancelFunc
	wg         sync.WaitGroup

	accepted, applied atomic.Int64
	mu                sync.Mutex
	lost              []string
}

// flowCommands starts sending verb (connect: a no-op on a running session
// that still records its id) to every session.
func (c *cluster) flowCommands(ids []string, verb string) *commandFlow {
	sendCtx, cancel := context.WithCancel(context.Background())
	f := &commandFlow{c: c, cancel: cancel}
	f.waitCtx, f.waitCancel = context.WithCancel(context.Background())
	c.tb.Cleanup(func() { f.cancel(); f.waitCancel(); f.wg.Wait() })
	for _, id := range ids {
		f.wg.Add(1)
		go f.run(sendCtx, id, verb)
	}
	return f
}

func (f *commandFlow) run(ctx context.Context, id, verb string) {
	defer f.wg.Done()
	for ctx.Err() == nil {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		cmd, err := f.c.api.action(cctx, id, verb)
		cancel()
		if err != nil {
			// Not accepted (503 while NATS is unreachable, or cancelled):
			// nothing to wait for.
			sleepCtx(ctx, 200*time.Millisecond)
			continue
		}
		f.accepted.Add(1)
		for !f.c.obs.applied(id, cmd) {
			if f.waitCtx.Err() != nil {
				f.mu.Lock()
				f.lost = append(f.lost, fmt.Sprintf("%s/%s", id, cmd))
				f.mu.Unlock()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		f.applied.Add(1)
		sleepCtx(ctx, 100*time.Millisecond)
	}
}

// stop stops sending and waits up to within for every accepted command to
// be applied; it returns the accepted count and the ones never applied.
func (f *commandFlow) stop(within time.Duration) (int64, []string) {
	f.cancel()
	done := make(chan struct{})
	go func() { f.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(within):
		f.waitCancel()
		<-done
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accepted.Load(), append([]string(nil), f.lost...)
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
