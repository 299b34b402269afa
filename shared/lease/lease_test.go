package lease_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/lease"
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
)

const ttl = 2 * time.Second

func bucket(t *testing.T) (jetstream.KeyValue, func()) {
	t.Helper()
	srv, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.CreateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: "leases", TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	return kv, srv.Shutdown
}

type probe struct {
	acquired atomic.Int64
	lost     atomic.Int64
	epochs   chan uint64
}

func newKeeper(t *testing.T, kv jetstream.KeyValue, holder string, p *probe) *lease.Keeper {
	t.Helper()
	k, err := lease.NewKeeper(lease.KeeperConfig{
		KV: kv, Key: "s.1", Holder: holder, TTL: ttl,
		OnAcquired: func(e uint64) { p.acquired.Add(1); p.epochs <- e },
		OnLost:     func() { p.lost.Add(1) },
	}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func waitEpoch(t *testing.T, p *probe, within time.Duration) uint64 {
	t.Helper()
	select {
	case e := <-p.epochs:
		return e
	case <-time.After(within):
		t.Fatalf("lease not acquired within %v", within)
		return 0
	}
}

func TestOneHolderAtATimeAndHandOff(t *testing.T) {
	kv, _ := bucket(t)
	ctx := context.Background()
	pa, pb := &probe{epochs: make(chan uint64, 4)}, &probe{epochs: make(chan uint64, 4)}
	a, b := newKeeper(t, kv, "a", pa), newKeeper(t, kv, "b", pb)
	a.Start(ctx)
	ea := waitEpoch(t, pa, ttl)
	b.Start(ctx)
	// b must not get the lease while a renews it, well past one TTL.
	select {
	case <-pb.epochs:
		t.Fatal("b acquired a lease a still holds")
	case <-time.After(2 * ttl):
	}
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if pa.lost.Load() != 1 {
		t.Fatalf("OnLost ran %d times on stop, want 1", pa.lost.Load())
	}
	eb := waitEpoch(t, pb, 2*ttl)
	if eb <= ea {
		t.Fatalf("epoch did not grow: %d then %d", ea, eb)
	}
	if _, held := b.Held(); !held {
		t.Fatal("b does not report the lease held")
	}
	_ = b.Stop(ctx)
}

func TestSelfFencesWhenNATSIsGone(t *testing.T) {
	kv, shutdown := bucket(t)
	p := &probe{epochs: make(chan uint64, 2)}
	k := newKeeper(t, kv, "a", p)
	k.Start(context.Background())
	waitEpoch(t, p, ttl)
	shutdown()
	deadline := time.Now().Add(ttl)
	for p.lost.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("keeper kept its lease past the TTL with NATS unreachable")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, held := k.Held(); held {
		t.Fatal("fenced keeper still reports the lease held")
	}
	_ = k.Stop(context.Background())
}

func TestAdoptsOwnStaleLease(t *testing.T) {
	kv, _ := bucket(t)
	if _, err := kv.Create(context.Background(), "s.1", []byte("a")); err != nil {
		t.Fatal(err)
	}
	p := &probe{epochs: make(chan uint64, 2)}
	k := newKeeper(t, kv, "a", p)
	k.Start(context.Background())
	waitEpoch(t, p, ttl/2)
	_ = k.Stop(context.Background())
}

func TestRendezvousMovesAboutOneInW(t *testing.T) {
	const shards = 1024
	three := []string{"w1", "w2", "w3"}
	four := append([]string{"w4"}, three...)
	count := map[string]int{}
	moved := 0
	for p := 0; p < shards; p++ {
		key := fmt.Sprintf("s.%d", p)
		before, after := lease.Rendezvous(key, three), lease.Rendezvous(key, four)
		count[before]++
		if before != after {
			moved++
			if after != "w4" {
				t.Fatalf("shard %d moved between old workers %s → %s", p, before, after)
			}
		}
	}
	for w, n := range count {
		if n < shards/3*8/10 || n > shards/3*12/10 {
			t.Errorf("%s owns %d of %d shards: unbalanced", w, n, shards)
		}
	}
	if moved < shards/4*7/10 || moved > shards/4*13/10 {
		t.Errorf("%d of %d shards moved on join, want about 1/4", moved, shards)
	}
	if lease.Rendezvous("s.1", nil) != "" {
		t.Error("no candidates must give no owner")
	}
}

func TestRegistryLive(t *testing.T) {
	kv, _ := bucket(t)
	ctx := context.Background()
	r1 := lease.NewRegistry(kv, "w1", ttl, zap.NewNop())
	r2 := lease.NewRegistry(kv, "w2", ttl, zap.NewNop())
	if err := r1.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	live, err := r1.Live(ctx)
	if err != nil || fmt.Sprint(live) != "[w1 w2]" {
		t.Fatalf("live = %v, %v", live, err)
	}
	if err := r2.SetDraining(ctx); err != nil {
		t.Fatal(err)
	}
	if live, _ := r1.Live(ctx); fmt.Sprint(live) != "[w1]" {
		t.Fatalf("draining member still live: %v", live)
	}
	if err := r1.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	_ = r2.Stop(ctx)
	if live, err := lease.Live(ctx, kv); err != nil || len(live) != 0 {
		t.Fatalf("after stop live = %v, %v", live, err)
	}
}

// TestPokeTakesExpiredLeaseAtOnce: on a bucket with limit markers, a watch
// sees a crashed holder's lease expire, and a poked keeper takes it at once
// rather than at its next tick.
func TestPokeTakesExpiredLeaseAtOnce(t *testing.T) {
	_, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "leases", TTL: ttl, LimitMarkerTTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(ctx, "s.1", []byte("crashed")); err != nil {
		t.Fatal(err)
	}
	w, err := kv.Watch(ctx, "s.1", jetstream.UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Stop() }()
	p := &probe{epochs: make(chan uint64, 2)}
	k := newKeeper(t, kv, "b", p)
	k.Start(ctx)
	defer func() { _ = k.Stop(context.Background()) }()
	var expired time.Time
	for expired.IsZero() {
		select {
		case e := <-w.Updates():
			if e != nil && e.Operation() != jetstream.KeyValuePut {
				expired = time.Now()
				k.Poke()
			}
		case <-time.After(2 * ttl):
			t.Fatal("no marker seen when the lease expired")
		}
	}
	waitEpoch(t, p, ttl)
	if took := time.Since(expired); took > ttl/20 {
		t.Errorf("poked keeper took %v to take the expired lease", took)
	}
}
