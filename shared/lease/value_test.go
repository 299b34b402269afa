package lease_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/lease"
)

func TestParseValue(t *testing.T) {
	for _, c := range []struct {
		v      string
		rev    uint64
		holder string
		epoch  uint64
	}{
		{"w1", 7, "w1", 7},
		{"w1\n7", 12, "w1", 7},
		{"w1\nx", 12, "w1\nx", 12},
		{string(lease.EncodeValue("w-2", 0)), 3, "w-2", 3},
		{string(lease.EncodeValue("w-2", 3)), 9, "w-2", 3},
	} {
		h, e := lease.ParseValue([]byte(c.v), c.rev)
		if h != c.holder || e != c.epoch {
			t.Errorf("ParseValue(%q, %d) = %q, %d; want %q, %d", c.v, c.rev, h, e, c.holder, c.epoch)
		}
	}
}

// readLease returns the holder and epoch the bucket shows for key s.1.
func readLease(t *testing.T, kv jetstream.KeyValue) (string, uint64) {
	t.Helper()
	e, err := kv.Get(context.Background(), "s.1")
	if err != nil {
		t.Fatal(err)
	}
	return lease.ParseValue(e.Value(), e.Revision())
}

// A reader that sees only the latest entry of a lease (a watch started
// later) learns the epoch it was taken at, also after renewals, and a new
// incarnation of the same holder that adopts the lease shows a new epoch.
func TestValueNamesTheEpochAcrossRenewalsAndAdoption(t *testing.T) {
	kv, _ := bucket(t)
	ctx := context.Background()
	p := &probe{epochs: make(chan uint64, 4)}
	k := newKeeper(t, kv, "a", p)
	k.Start(ctx)
	epoch := waitEpoch(t, p, ttl)
	deadline := time.Now().Add(3 * ttl)
	for {
		e, err := kv.Get(ctx, "s.1")
		if err != nil {
			t.Fatal(err)
		}
		if e.Revision() > epoch { // renewed
			if h, got := lease.ParseValue(e.Value(), e.Revision()); h != "a" || got != epoch {
				t.Fatalf("renewed lease reads %q epoch %d, want a epoch %d", h, got, epoch)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("lease never renewed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A second incarnation of "a" (the first one crashed: never stopped).
	p2 := &probe{epochs: make(chan uint64, 4)}
	k2 := newKeeper(t, kv, "a", p2)
	k2.Start(ctx)
	epoch2 := waitEpoch(t, p2, ttl)
	if epoch2 <= epoch {
		t.Fatalf("adoption kept epoch %d (was %d)", epoch2, epoch)
	}
	if h, got := readLease(t, kv); h != "a" || got != epoch2 {
		t.Fatalf("adopted lease reads %q epoch %d, want a epoch %d", h, got, epoch2)
	}
}

// Stop runs OnRelease with a context that is still live (the holder may
// write under the lease), then releases the lease cleanly.
func TestOnReleaseRunsUnderTheLeaseThenReleases(t *testing.T) {
	kv, _ := bucket(t)
	ctx := context.Background()
	acquired := make(chan uint64, 1)
	released := make(chan error, 1)
	k, err := lease.NewKeeper(lease.KeeperConfig{
		KV: kv, Key: "s.1", Holder: "a", TTL: ttl,
		OnAcquired: func(e uint64) { acquired <- e },
		OnLost:     func() { t.Error("OnLost ran on stop although OnRelease is set") },
		OnRelease: func(ctx context.Context) {
			// Still the holder: the key is ours while OnRelease runs.
			e, err := kv.Get(ctx, "s.1")
			if err == nil {
				if h, _ := lease.ParseValue(e.Value(), e.Revision()); h != "a" {
					err = context.Canceled
				}
			}
			released <- err
		},
	}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	k.Start(ctx)
	select {
	case <-acquired:
	case <-time.After(ttl):
		t.Fatal("not acquired")
	}
	if err := k.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-released; err != nil {
		t.Fatalf("OnRelease did not run under the lease: %v", err)
	}
	if _, err := kv.Get(ctx, "s.1"); err == nil {
		t.Fatal("lease still there after Stop")
	}
}

// A renewal the server applied but whose answer never came back (it timed
// out on a loaded server) leaves a newer revision written by the keeper
// itself: the keeper carries on from it instead of counting the lease as
// taken, stopping its work and adopting it back.
func TestLostRenewalAnswerIsNotALoss(t *testing.T) {
	kv, _ := bucket(t)
	ctx := context.Background()
	p := &probe{epochs: make(chan uint64, 4)}
	k := newKeeper(t, kv, "a", p)
	k.Start(ctx)
	epoch := waitEpoch(t, p, ttl)
	defer func() { _ = k.Stop(ctx) }()
	// What the keeper's own renewal wrote, applied behind its back.
	for i := range 3 {
		e, err := kv.Get(ctx, "s.1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kv.Update(ctx, "s.1", lease.EncodeValue("a", epoch), e.Revision()); err != nil && i == 2 {
			t.Fatal(err)
		}
	}
	// Several renewals later the lease is still held, never lost.
	time.Sleep(ttl / 2) // the keeper renews every ttl/10; nothing to poll for
	if p.lost.Load() != 0 || p.acquired.Load() != 1 {
		t.Fatalf("lost %d times, acquired %d times; want 0 and 1", p.lost.Load(), p.acquired.Load())
	}
	if got, held := k.Held(); !held || got != epoch {
		t.Fatalf("held %v at epoch %d, want epoch %d", held, got, epoch)
	}
}
