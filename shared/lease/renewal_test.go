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
	keepers := make([]*lease.Keeper, 0, keys)
	for i := range keys {
		k, err := lease.NewKeeper(lease.KeeperConfig{
			KV: kv, Key: fmt.Sprintf("s.%d", i), Holder: "a", TTL: ttl,
		}, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		k.Start(ctx)
		t.Cleanup(func() { _ = k.Stop(ctx) })
		keepers = append(keepers, k)
	}
	// Acquisitions are not aligned: watch only once every lease is held.
	deadline := time.Now().Add(5 * time.Second)
	for _, k := range keepers {
		for _, held := k.Held(); !held; _, held = k.Held() {
			if time.Now().After(deadline) {
				t.Fatal("leases not acquired")
			}
			time.Sleep(10 * time.Millisecond)
		}
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
	// They come in bursts: renewals are stored within 200 ms of a whole
	// multiple of TTL/4 (on independent schedules, 40 % would be by
	// chance). A loaded machine may delay one, or turn one into a retry.
	aligned := 0
	for _, at := range writes {
		if at.Sub(at.Truncate(ttl/4)) <= 200*time.Millisecond {
			aligned++
		}
	}
	if aligned*4 < len(writes)*3 {
		t.Fatalf("%d of %d renewals within 200 ms after a multiple of %v, want at least 3/4: renewals are not aligned", aligned, len(writes), ttl/4)
	}
}
