package scheduler

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/scheduler/health"
)

const (
	// publishWindow bounds the async publishes in flight (the client's own
	// default limit is 4000).
	publishWindow = 1024
	// ackWait bounds the wait for one window's acknowledgements.
	ackWait = 30 * time.Second
	// bookWriters is how many book writes run at once.
	bookWriters = 32
)

// ack is the outcome of one publish.
type ack struct {
	err error
	// duplicate means the stream already had this message id: an earlier
	// run of the same sweep published it.
	duplicate bool
}

// publishAll publishes msgs asynchronously with their ids as Nats-Msg-Id, a
// window at a time, and returns each one's outcome.
func publishAll(ctx context.Context, js jetstream.JetStream, msgs []outMsg) ([]ack, error) {
	acks := make([]ack, len(msgs))
	for lo := 0; lo < len(msgs); lo += publishWindow {
		hi := min(lo+publishWindow, len(msgs))
		if err := publishWindowed(ctx, js, msgs[lo:hi], acks[lo:hi]); err != nil {
			return acks, err
		}
	}
	return acks, nil
}

func publishWindowed(ctx context.Context, js jetstream.JetStream, msgs []outMsg, acks []ack) error {
	futures := make([]jetstream.PubAckFuture, len(msgs))
	for i, m := range msgs {
		f, err := js.PublishAsync(m.subject, m.body, jetstream.WithMsgID(m.id))
		if err != nil {
			acks[i].err = fmt.Errorf("scheduler: publish %s: %w", m.id, err)
			continue
		}
		futures[i] = f
	}
	timeout := time.NewTimer(ackWait)
	defer timeout.Stop()
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case pa := <-f.Ok():
			acks[i].duplicate = pa.Duplicate
		case err := <-f.Err():
			acks[i].err = fmt.Errorf("scheduler: publish %s: %w", msgs[i].id, err)
		case <-timeout.C:
			return fmt.Errorf("scheduler: no publish acks within %v", ackWait)
		case <-ctx.Done():
			return fmt.Errorf("scheduler: publish: %w", ctx.Err())
		}
	}
	return nil
}

// writeBooks applies the book writes concurrently and returns how many
// failed and the first error.
func writeBooks(ctx context.Context, kv jetstream.KeyValue, writes []bookWrite) (int, error) {
	var (
		mu     sync.Mutex
		failed int
		first  error
		wg     sync.WaitGroup
		slots  = make(chan struct{}, bookWriters)
	)
	for _, w := range writes {
		if ctx.Err() != nil {
			break
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := writeBook(ctx, kv, w); err != nil {
				mu.Lock()
				failed++
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return failed, first
}

func writeBook(ctx context.Context, kv jetstream.KeyValue, w bookWrite) error {
	key := bookPrefix + w.key
	switch w.write {
	case health.Put:
		body, err := encodeBook(w.book)
		if err != nil {
			return err
		}
		if _, err := kv.Put(ctx, key, body); err != nil {
			return fmt.Errorf("scheduler: write %s: %w", key, err)
		}
	case health.Delete:
		if err := kv.Delete(ctx, key); err != nil {
			return fmt.Errorf("scheduler: delete %s: %w", key, err)
		}
	}
	return nil
}
