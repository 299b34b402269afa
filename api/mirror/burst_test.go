package mirror_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/api/mirror"
	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
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

func (k *closableKV) closeAll() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, w := range k.ws {
		_ = w.Stop()
	}
	k.ws = nil
}

// TestBurstAndClosedWatchConverge writes 12,000 session records as fast
// as JetStream takes them, closes the mirror's watch under it in the middle
// of the burst, and deletes and renames records while no watch runs: the
// mirror must end with exactly the bucket's final state, not with a
// dropped update's stale one.
func TestBurstAndClosedWatchConverge(t *testing.T) {
	_, nc := natstest.Start(t)
	const n = 12000
	// Every publish of the burst may be outstanding at once (no stall).
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(2*n))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := bus.Ensure(ctx, js, bus.Config{Shards: 2})
	if err != nil {
		t.Fatal(err)
	}
	sessions := &closableKV{KeyValue: b.Sessions}
	m, err := mirror.New(mirror.Config{Sessions: sessions, Pairing: b.Pairing, Leases: b.Leases, Shards: 2}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Stop(ctx) }()

	put := func(i int, name string) {
		id := fmt.Sprintf("s%d", i)
		body, _ := json.Marshal(session.Record{Tenant: "t", ID: id, Config: session.Config{Name: name}, Desired: session.DesiredRunning})
		if _, err := js.PublishAsync("$KV."+subject.SessionsBucket+"."+subject.SessionKey("t", id), body); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		put(i, "first")
		if i == n/2 {
			sessions.closeAll()
		}
	}
	for i := range n / 10 {
		put(i, "second")
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		t.Fatal("publishes not acknowledged")
	}
	// While the re-created watch may or may not run yet: deletes.
	for i := n - 100; i < n; i++ {
		if err := b.Sessions.Delete(ctx, subject.SessionKey("t", fmt.Sprintf("s%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	sessions.closeAll()

	want := func(i int) (string, bool) {
		switch {
		case i >= n-100:
			return "", false
		case i < n/10:
			return "second", true
		default:
			return "first", true
		}
	}
	deadline := time.Now().Add(time.Minute)
	for {
		bad := -1
		for i := range n {
			name, present := want(i)
			rec, _, ok := m.Session("t", fmt.Sprintf("s%d", i))
			if ok != present || (ok && rec.Config.Name != name) {
				bad = i
				break
			}
		}
		if bad < 0 {
			break
		}
		if time.Now().After(deadline) {
			rec, _, ok := m.Session("t", fmt.Sprintf("s%d", bad))
			t.Fatalf("s%d: present %v name %q; mirror never converged", bad, ok, rec.Config.Name)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, total := m.List("t", 0, 1); total != n-100 {
		t.Fatalf("mirror lists %d sessions, want %d", total, n-100)
	}
}
