package lease_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/lease"
)

// A healthy lease is renewed every TTL/4, at whole multiples of TTL/4 on the
// wall clock, so that a worker's many leases cost few writes and renew
// together. Before, each renewed every TTL/10 on its own schedule.
func TestHealthyLeasesRenewSeldomAndTogether(t *testing.T) {
	kv, _ := bucket(t)
	ctx := context.Background()
	const keys = 4
	for i := range keys {
		k, err := lease.NewKeeper(lease.KeeperConfig{
			KV: kv, Key: fmt.Sprintf("s.%d", i), Holder: "a", TTL: ttl,
		}, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		k.Start(ctx)
		t.Cleanup(func() { _ = k.Stop(ctx) })
	}
	w, err := kv.WatchAll(ctx, jetstream.UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Stop() }()
	const window = 3 * time.Second
	end := time.After(window)
	var writes []time.Time
	for done := false; !done; {
		select {
		case e := <-w.Updates():
			if e != nil {
				writes = append(writes, e.Created())
			}
		case <-end:
			done = true
		}
	}
	// TTL/4 is 500 ms: at most 7 renewals of each key fit in 3 s (every
	// 200 ms before: 15).
	if max := keys * (int(window/(ttl/4)) + 1); len(writes) > max || len(writes) < keys {
		t.Fatalf("%d renewals of %d healthy leases in %v, want %d–%d", len(writes), keys, window, keys, max)
	}
	// They come in bursts: every renewal is stored within 200 ms of a
	// whole multiple of TTL/4.
	for _, at := range writes {
		off := at.Sub(at.Truncate(ttl / 4))
		if off > 200*time.Millisecond {
			t.Fatalf("a renewal %v after a multiple of %v: renewals are not aligned", off, ttl/4)
		}
	}
}
