package ownership_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
	"github.com/switchboard-gw/switchboard/worker/ownership"
)

// closableKV is a real bucket whose watches the test can close under their
// reader, as nats.go does when it cannot re-create an ordered consumer.
type closableKV struct {
	jetstream.KeyValue
	mu sync.Mutex
	ws []jetstream.KeyWatcher
}

func (k *closableKV) WatchAll(ctx context.Context, opts ...jetstream.WatchOpt) (jetstream.KeyWatcher, error) {
	w, err := k.KeyValue.WatchAll(ctx, opts...)
	if err == nil {
		k.mu.Lock()
		k.ws = append(k.ws, w)
		k.mu.Unlock()
	}
	return w, err
}

// closeAll closes every watch made so far.
func (k *closableKV) closeAll() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, w := range k.ws {
		_ = w.Stop()
	}
	k.ws = nil
}

// holder records the shards a worker holds.
type holder struct {
	mu   sync.Mutex
	held map[int]bool
}

func (h *holder) Acquired(p int, _ uint64) { h.set(p, true) }
func (h *holder) Lost(p int)               { h.set(p, false) }
func (h *holder) Released(_ context.Context, p int) {
	h.set(p, false)
}

func (h *holder) set(p int, v bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if v {
		h.held[p] = true
	} else {
		delete(h.held, p)
	}
}

func (h *holder) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.held)
}

// TestClosedWatchesAreRecreated closes the first worker's membership and
// lease watches under it, then starts a second worker: the first must still
// see it join and hand its shards over at once, not at the next periodic
// rebalance (an hour here). Before the watches were re-created, a closed
// watch left the worker deaf to membership until that rebalance.
func TestClosedWatchesAreRecreated(t *testing.T) {
	_, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := bus.Ensure(ctx, js, bus.Config{Shards: 8})
	if err != nil {
		t.Fatal(err)
	}
	const shards = 8
	start := func(id string, leases, workers jetstream.KeyValue) (*ownership.Ownership, *holder) {
		h := &holder{held: map[int]bool{}}
		o, err := ownership.New(ownership.Config{ID: id, Shards: shards, Leases: leases, Workers: workers,
			TTL: bus.LeaseTTL, Rebalance: time.Hour}, h, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = o.Stop(sctx)
		})
		return o, h
	}
	waitFor := func(what string, within time.Duration, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(within)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %v", what, within)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	leases, workers := &closableKV{KeyValue: b.Leases}, &closableKV{KeyValue: b.Workers}
	_, ha := start("a", leases, workers)
	waitFor("a holds every shard", 10*time.Second, func() bool { return ha.count() == shards })
	leases.closeAll()
	workers.closeAll()

	want := len(ownership.Targets("b", []string{"a", "b"}, shards))
	if want == 0 {
		t.Fatal("b targets no shard; pick other ids")
	}
	_, hb := start("b", b.Leases, b.Workers)
	waitFor("b holds its targets", 8*time.Second, func() bool { return hb.count() == want })
	if got := ha.count(); got != shards-want {
		t.Fatalf("a holds %d shards, want %d", got, shards-want)
	}
}
