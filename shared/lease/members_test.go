package lease_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/lease"
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
)

// TestMembersNeverPartial: a listing of wa_workers that its deadline cuts
// short is an error, never a shorter list. A worker handed a shorter list
// counts fewer live workers and targets the shards of one that is alive
// (seen under load: shards targeted and handed back seconds later). The
// deadlines sweep from before the watch exists to after the listing ends.
func TestMembersNeverPartial(t *testing.T) {
	_, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "workers", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	for i := range n {
		b, _ := json.Marshal(lease.Member{ID: fmt.Sprintf("w%03d", i), Heartbeat: time.Now()})
		if _, err := kv.Put(ctx, fmt.Sprintf("w%03d", i), b); err != nil {
			t.Fatal(err)
		}
	}
	cut, full := 0, 0
	for d := 20 * time.Microsecond; full < 5; d += d/8 + 10*time.Microsecond {
		dctx, cancel := context.WithTimeout(ctx, d)
		ms, err := lease.Members(dctx, kv)
		cancel()
		switch {
		case err != nil:
			cut++
		case len(ms) != n:
			t.Fatalf("deadline %v: %d of %d members listed without an error", d, len(ms), n)
		default:
			full++
		}
	}
	if cut == 0 {
		t.Fatal("no deadline cut a listing short: the sweep tested nothing")
	}
	t.Logf("%d listings cut short (errors), %d complete", cut, full)
}
