package webhook_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/webhook"
)

// closableKV is the real sessions bucket whose watches the test can close
// under their reader, as nats.go does when it cannot re-create an ordered
// consumer.
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

// TestConfigFollowedAfterWatchClosed closes the dispatcher's session watch
// under it, then adds a webhook: events must reach it. Before the watch was
// re-created, the mirror kept the old configuration for good.
func TestConfigFollowedAfterWatchClosed(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	e.putSession("s1")
	cfg := testConfig()
	cfg.Leases = e.b.Leases
	kv := &closableKV{KeyValue: e.b.Sessions}
	d, err := webhook.New(cfg, e.js, kv, e.ds, e.log)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = d.Stop(ctx)
	})
	kv.closeAll()
	e.putSession("s1", session.Webhook{URL: e.rcv.url("/after")})
	i := 0
	e.eventually("delivery to the webhook added after the watch closed", func() bool {
		i++
		e.publish("s1", event.MessageReceived, strconv.Itoa(i), msg("hi"))
		time.Sleep(50 * time.Millisecond)
		return len(e.rcv.requests("/after")) > 0
	})
}
