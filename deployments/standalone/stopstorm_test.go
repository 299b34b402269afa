package standalone_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/switchboard-gw/switchboard/shared/config"
	"github.com/switchboard-gw/switchboard/shared/natsembed"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
	"github.com/switchboard-gw/switchboard/shared/wasim"
	"github.com/switchboard-gw/switchboard/worker/report"
)

// TestStopDuringReconnectStorm stops the gateway while its linked sessions
// are still coming back (a slow pacer holds most of them in line, some are
// connecting or logged in): the stop releases every shard lease and the
// webhook lease, logs no failed release, and leaves every session's record
// connecting with reason worker_stopped under the stopping owner's epoch,
// as read from the stopped gateway's own JetStream store.
func TestStopDuringReconnectStorm(t *testing.T) {
	const n = 24
	dir := t.TempDir()
	gw, a := gateway(t, dir, "")
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("storm-%02d", i)
		link(t, a, ids[i], fmt.Sprintf("+155507000%02d", i))
	}
	linked := int(simStats(t)["logged_in"])
	if err := gw.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	base := linked - n
	deadline := time.Now().Add(30 * time.Second)
	for int(simStats(t)["logged_in"]) > base {
		if time.Now().After(deadline) {
			t.Fatalf("simulator still counts %v logged in after the stop, want %d", simStats(t)["logged_in"], base)
		}
		time.Sleep(10 * time.Millisecond)
	}

	core, logs := observer.New(zapcore.InfoLevel)
	gw, _ = gatewayLogged(t, dir, "", zap.New(core), func(c *config.Config) {
		c.ReconnectRate, c.ReconnectBurst = 8, 2
	})
	// Some sessions are back, the rest are still in line or connecting.
	deadline = time.Now().Add(30 * time.Second)
	for int(simStats(t)["logged_in"])-base < 3 {
		if time.Now().After(deadline) {
			t.Fatal("no session came back within 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if back := int(simStats(t)["logged_in"]) - base; back >= n {
		t.Fatalf("all %d sessions back before the stop: the pacer did not hold any in line", back)
	}
	if err := gw.Stop(context.Background()); err != nil {
		t.Fatalf("stop during the reconnect storm: %v", err)
	}
	for _, msg := range []string{"lease release failed", "shard release incomplete", "shard stop incomplete"} {
		if got := logs.FilterMessage(msg).Len(); got > 0 {
			t.Errorf("stop logged %q %d times", msg, got)
		}
	}
	if got := logs.FilterMessage("shard released").Len(); got != 8 {
		t.Errorf("%d shards released, want 8", got)
	}

	checkStoppedStore(t, dir, ids)
}

// checkStoppedStore opens the stopped gateway's JetStream store: no shard
// lease and no webhook lease is left, and every session of ids reads
// STARTING with reason worker_stopped.
func checkStoppedStore(t *testing.T, dir string, ids []string) {
	t.Helper()
	ns, err := natsembed.Start(natsembed.Config{StoreDir: filepath.Join(dir, "jetstream")})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	nc, err := ns.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	leases, err := js.KeyValue(ctx, subject.LeasesBucket)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range append(shardLeaseKeys(8), subject.WebhookLeaseKey) {
		if e, err := leases.Get(ctx, key); !errors.Is(err, jetstream.ErrKeyNotFound) {
			t.Errorf("lease %s still held after a clean stop: %v %v", key, e, err)
		}
	}
	sessions, err := js.KeyValue(ctx, subject.SessionsBucket)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		e, err := sessions.Get(ctx, subject.SessionKey("default", id))
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		var rec session.Record
		if err := json.Unmarshal(e.Value(), &rec); err != nil {
			t.Fatal(err)
		}
		if st := rec.State; st.Status != session.StatusStarting || st.LastError != report.ReasonWorkerStopped {
			t.Errorf("%s after the stop: status %s, reason %q; want STARTING, %q", id, st.Status, st.LastError, report.ReasonWorkerStopped)
		}
	}
}

func shardLeaseKeys(n int) []string {
	keys := make([]string, n)
	for p := range keys {
		keys[p] = subject.LeaseKey(p)
	}
	return keys
}

// TestStopWhileHandshakesStall stops the gateway while every session's
// connect waits for a server hello that does not come: the connects are
// given up at once and every session, a new one still registering
// included, is recorded connecting with reason worker_stopped, none left as
// it was when the stop began and none failed.
func TestStopWhileHandshakesStall(t *testing.T) {
	dir := t.TempDir()
	gw, a := gateway(t, dir, "")
	ids := []string{"stall-a", "stall-b", "stall-c"}
	for i, id := range ids {
		link(t, a, id, fmt.Sprintf("+155507100%02d", i))
	}
	if err := gw.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetFaults(wasim.Faults{StallHandshakes: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.SetFaults(wasim.Faults{}) })
	conns := simStats(t)["connections"]
	gw, a = gateway(t, dir, "")
	// A new session (a registration: no device yet) stalls too; given up,
	// it is connecting like the others, not failed.
	a.must(201, "POST", "/api/v1/sessions", map[string]any{"id": "stall-new", "name": "n-stall-new"})
	ids = append(ids, "stall-new")
	// Every session is connected and waits for the server's hello.
	deadline := time.Now().Add(30 * time.Second)
	for simStats(t)["connections"]-conns < float64(len(ids)) {
		if time.Now().After(deadline) {
			t.Fatalf("only %v connections opened", simStats(t)["connections"]-conns)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := gw.Stop(context.Background()); err != nil {
		t.Fatalf("stop while handshakes stall: %v", err)
	}
	checkStoppedStore(t, dir, ids)
}
