package shards

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGateBoundsLoads: no more than n holders at once, a waiter gives up
// with its context, and a nil gate bounds nothing.
func TestGateBoundsLoads(t *testing.T) {
	g := NewGate(2)
	var in, most atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			leave, err := g.enter(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			n := in.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(5 * time.Millisecond)
			in.Add(-1)
			leave()
		})
	}
	wg.Wait()
	if most.Load() != 2 {
		t.Fatalf("at most %d loads at once, want 2", most.Load())
	}

	full := NewGate(1)
	leave, _ := full.enter(context.Background())
	defer leave()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := full.enter(ctx); err == nil {
		t.Fatal("a full gate let a second load in")
	}
	var none *Gate
	if l, err := none.enter(ctx); err != nil {
		t.Fatal(err)
	} else {
		l()
	}
}
