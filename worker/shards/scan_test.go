package shards_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/shard"
	"github.com/switchboard-gw/switchboard/shared/subject"
	"github.com/switchboard-gw/switchboard/worker/shards"
)

// TestScannerSplitsByShard: shards that ask together get their own
// sessions, with revisions, from one pass; deleted sessions are left out.
func TestScannerSplitsByShard(t *testing.T) {
	_, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Ensure(ctx, js, bus.Config{Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]int{}
	for i := range 40 {
		id := fmt.Sprintf("s%d", i)
		body, _ := json.Marshal(session.Record{Tenant: "acme", ID: id, Desired: session.DesiredRunning})
		if _, err := b.Sessions.Put(ctx, subject.SessionKey("acme", id), body); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			if err := b.Sessions.Delete(ctx, subject.SessionKey("acme", id)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want[shard.Of("acme", id, 4)]++
	}
	x := shards.NewScanner(b.Sessions, 4)
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Go(func() {
			snaps, err := x.Sessions(ctx, p)
			if err != nil {
				t.Error(err)
				return
			}
			if len(snaps) != want[p] {
				t.Errorf("shard %d: %d sessions, want %d", p, len(snaps), want[p])
			}
			for _, s := range snaps {
				if shard.Of(s.Record.Tenant, s.Record.ID, 4) != p || s.Revision == 0 {
					t.Errorf("shard %d got %s/%s rev %d", p, s.Record.Tenant, s.Record.ID, s.Revision)
				}
			}
		})
	}
	wg.Wait()
	// A shard asking alone gets its own sessions: the pass skips the rest.
	if snaps, err := x.Sessions(ctx, 1); err != nil || len(snaps) != want[1] {
		t.Errorf("shard 1 alone: %d sessions (%v), want %d", len(snaps), err, want[1])
	}
}
