package bus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
	"github.com/switchboard-gw/switchboard/shared/shard"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// TestCommandsRouteToShardOf proves the server-side partition transform and
// shard.Of agree, so a shard consumer sees exactly its sessions' commands.
func TestCommandsRouteToShardOf(t *testing.T) {
	_, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const n = 8
	if _, err := bus.Ensure(ctx, js, bus.Config{Shards: n}); err != nil {
		t.Fatal(err)
	}
	// Ensure is idempotent.
	if _, err := bus.Ensure(ctx, js, bus.Config{Shards: n}); err != nil {
		t.Fatalf("second ensure: %v", err)
	}
	want := map[int]int{}
	for i := 0; i < 64; i++ {
		tenant, sess := fmt.Sprintf("t%d", i%3), fmt.Sprintf("sess-%d", i)
		if _, err := js.Publish(ctx, subject.Command(tenant, sess, "start"), []byte("{}")); err != nil {
			t.Fatal(err)
		}
		want[shard.Of(tenant, sess, n)]++
	}
	for p := 0; p < n; p++ {
		cons, err := js.CreateOrUpdateConsumer(ctx, subject.CommandStream, jetstream.ConsumerConfig{
			Durable: subject.ShardConsumer(p), FilterSubject: subject.ShardCommands(p), AckPolicy: jetstream.AckExplicitPolicy,
		})
		if err != nil {
			t.Fatalf("consumer %d: %v", p, err)
		}
		info, err := cons.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if int(info.NumPending) != want[p] {
			t.Errorf("shard %d: %d pending, want %d", p, info.NumPending, want[p])
		}
	}
}

func TestDuplicateCommandIDIsDropped(t *testing.T) {
	_, nc := natstest.Start(t)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if _, err := bus.Ensure(ctx, js, bus.Config{Shards: 4}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := js.Publish(ctx, subject.Command("default", "s1", "restart"), []byte("{}"), jetstream.WithMsgID("idem-1")); err != nil {
			t.Fatal(err)
		}
	}
	st, err := js.Stream(ctx, subject.CommandStream)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := st.Info(ctx)
	if info.State.Msgs != 1 {
		t.Fatalf("stream has %d messages, want 1", info.State.Msgs)
	}
}

// TestEventRetention: WA_EVT keeps events for Config.EventRetention
// (SWITCHBOARD_EVENT_RETENTION), 24h by default, and a restart with another
// value updates the stream.
func TestEventRetention(t *testing.T) {
	_, nc := natstest.Start(t)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	maxAge := func() time.Duration {
		st, err := js.Stream(ctx, subject.EventStream)
		if err != nil {
			t.Fatal(err)
		}
		info, _ := st.Info(ctx)
		return info.Config.MaxAge
	}
	if _, err := bus.Ensure(ctx, js, bus.Config{Shards: 2}); err != nil {
		t.Fatal(err)
	}
	if got := maxAge(); got != 24*time.Hour {
		t.Fatalf("default WA_EVT MaxAge = %v, want 24h", got)
	}
	if _, err := bus.Ensure(ctx, js, bus.Config{Shards: 2, EventRetention: 2 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	if got := maxAge(); got != 2*time.Hour {
		t.Fatalf("WA_EVT MaxAge = %v, want 2h", got)
	}
}
