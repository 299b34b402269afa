package webhook

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/subject"
)

// goBackground counts one more background goroutine, or returns false once
// Stop is waiting for them.
func (d *Dispatcher) goBackground() bool {
	d.bgMu.Lock()
	defer d.bgMu.Unlock()
	if d.closing {
		return false
	}
	d.replays.Add(1)
	return true
}

// activate runs on the keeper's goroutine when this dispatcher wins the
// lease: it starts the pull loop. If a predecessor may have died holding
// events (the consumer has unacked ones and no clean hand-over is marked),
// the loop first waits AckWait so that they are all due for redelivery, and
// so come first, in order.
func (d *Dispatcher) activate(ctx context.Context, cons jetstream.Consumer) {
	d.activeMu.Lock()
	defer d.activeMu.Unlock()
	actx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	d.active, d.pulled = cancel, done
	go func() {
		defer close(done)
		if !d.takeHandoff(actx) && d.mayHoldEvents(actx, cons) {
			d.log.Info("webhook dispatcher waiting for a predecessor's events", zap.Duration("wait", d.cfg.AckWait))
			if !sleep(actx, d.cfg.AckWait) {
				return
			}
		}
		d.log.Info("webhook dispatcher active")
		d.pull(actx, cons)
	}()
}

// takeHandoff consumes a clean hand-over mark, reporting whether there was
// one.
func (d *Dispatcher) takeHandoff(ctx context.Context) bool {
	if _, err := d.cfg.Leases.Get(ctx, subject.WebhookHandoffKey); err != nil {
		return false
	}
	// Consumed, so that a crash of this holder is not taken for a clean
	// hand-over by the next.
	return d.cfg.Leases.Delete(ctx, subject.WebhookHandoffKey) == nil
}

// mayHoldEvents reports whether a predecessor may still hold events.
func (d *Dispatcher) mayHoldEvents(ctx context.Context, cons jetstream.Consumer) bool {
	info, err := cons.Info(ctx)
	return err != nil || info.NumAckPending > 0
}

// deactivate runs when the lease is lost, fenced or given up: it stops the
// pull loop and the lanes (cutting requests short) and hands every held
// event back, oldest first. No other dispatcher pulls until the lease is
// released or expires, so the server keeps them in that order.
func (d *Dispatcher) deactivate() {
	d.activeMu.Lock()
	defer d.activeMu.Unlock()
	if d.active == nil {
		return
	}
	d.active()
	<-d.pulled
	d.lanes.wait()
	clean := d.held.nakAll(d.log)
	if clean && d.stopping.Load() {
		// Detached and bounded: the run context is being cancelled.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if _, err := d.cfg.Leases.Put(ctx, subject.WebhookHandoffKey, []byte(d.cfg.Holder)); err != nil {
			d.log.Warn("webhook hand-over not marked", zap.Error(err))
		}
		cancel()
	}
	d.active, d.pulled = nil, nil
	d.log.Info("webhook dispatcher inactive")
}

// pull hands each message, in stream order, to its lanes until ctx ends,
// finishing the fetch under way (its messages are then held unsent, for
// Stop to hand back in order).
func (d *Dispatcher) pull(ctx context.Context, cons jetstream.Consumer) {
	for ctx.Err() == nil {
		batch, err := cons.Fetch(pullBatch, jetstream.FetchMaxWait(fetchWait))
		if err == nil {
			for msg := range batch.Messages() {
				d.route(ctx, msg)
			}
			err = batch.Error()
		}
		if err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrNoMessages) {
			d.log.Warn("webhook pull failed", zap.Error(err))
			select {
			case <-ctx.Done():
			case <-time.After(nextErrPause):
			}
		}
	}
}
