package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/session"
)

const (
	// fastLeaderBucket stands in for wa_scheduler with a short lease TTL.
	fastLeaderBucket = "wa_scheduler_fast"
	fastTTL          = 2 * time.Second
	fastInterval     = time.Second
)

// replica is one scheduler process with its own NATS connection, so that
// closing the connection is a crash: no lease release, no goodbye.
type replica struct {
	nc    *nats.Conn
	sched *Scheduler
	rec   *recorder
}

func (e *env) replica(id string) *replica {
	e.tb.Helper()
	ctx := context.Background()
	nc, err := nats.Connect(e.srv.ClientURL())
	if err != nil {
		e.tb.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		e.tb.Fatal(err)
	}
	b, err := bus.Ensure(ctx, js, bus.Config{Shards: testShards})
	if err != nil {
		e.tb.Fatal(err)
	}
	if b.Sched, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: fastLeaderBucket, History: 1, TTL: fastTTL}); err != nil {
		e.tb.Fatal(err)
	}
	r := &replica{nc: nc, rec: &recorder{}}
	r.sched = newScheduler(e.tb, Config{ID: id, Interval: fastInterval, MaxAttempts: 1000, BaseBackoff: time.Nanosecond}, js, b)
	r.sched.onSweep = r.rec.add
	e.tb.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.sched.Stop(stopCtx)
		nc.Close()
	})
	return r
}

func (r *replica) start(t *testing.T) {
	t.Helper()
	if err := r.sched.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds or within passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLeaderSweepsOnBoundaries runs one replica: it takes the lease, sweeps
// on interval boundaries, and gives the lease up on Stop.
func TestLeaderSweepsOnBoundaries(t *testing.T) {
	e := newEnv(t)
	e.registerWorker(liveWorker)
	e.holdShards(0, 1, 2, 3)
	e.put(record("flaky", session.StatusFailed, time.Now(), nil))
	r := e.replica("a")
	r.start(t)
	waitFor(t, 3*fastInterval+fastTTL, "two sweeps", func() bool { return len(r.rec.handled()) >= 2 })
	for _, res := range r.rec.handled() {
		if res.Restarted != 1 {
			t.Errorf("sweep %+v, want one restart", res)
		}
	}
	if err := r.sched.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.sched.Leader() {
		t.Fatal("still leading after Stop")
	}
	kv, err := e.js.KeyValue(context.Background(), fastLeaderBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Get(context.Background(), leaderKey); err == nil {
		t.Fatal("leader lease not released on Stop")
	}
}

// TestFailoverHandlesEveryTickOnce runs two replicas, crashes the leader
// and checks that the other sweeps from the next interval after the lease
// expires, and that across the run no tick is handled twice and no
// session is restarted twice by one tick.
func TestFailoverHandlesEveryTickOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("failover takes a lease TTL and several intervals")
	}
	e := newEnv(t)
	e.registerWorker(liveWorker)
	e.holdShards(0, 1, 2, 3)
	e.put(record("flaky", session.StatusFailed, time.Now(), nil))
	a, b := e.replica("a"), e.replica("b")
	a.start(t)
	waitFor(t, 2*fastTTL, "a leads", a.sched.Leader)
	b.start(t)
	waitFor(t, 4*fastInterval, "a sweeps twice", func() bool { return len(a.rec.handled()) >= 2 })
	if len(b.rec.handled()) != 0 || b.sched.Leader() {
		t.Fatal("b swept or led while a held the lease")
	}

	a.nc.Close() // crash: no release, the lease must expire
	killed := time.Now()
	waitFor(t, fastTTL+3*fastInterval+time.Second, "b takes over and sweeps", func() bool { return len(b.rec.handled()) >= 1 })
	took := time.Since(killed)
	waitFor(t, 3*fastInterval, "b sweeps again", func() bool { return len(b.rec.handled()) >= 2 })
	if took > fastTTL+fastInterval+2*time.Second {
		t.Errorf("b swept %v after the crash, want about one lease TTL (%v) plus one interval", took, fastTTL)
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.sched.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}

	handled := map[string]string{}
	for name, r := range map[string]*replica{"a": a, "b": b} {
		for _, res := range r.rec.handled() {
			if other, dup := handled[res.SweepID]; dup {
				t.Errorf("tick %s handled by %s and %s", res.SweepID, other, name)
			}
			handled[res.SweepID] = name
		}
	}
	// Every handled tick restarted the failing session exactly once.
	cmds := e.commands()
	seen := map[string]bool{}
	for _, c := range cmds {
		sweep := strings.Split(c.ID, "/")[1]
		if seen[sweep] {
			t.Errorf("tick %s restarted twice", sweep)
		}
		seen[sweep] = true
		if _, ok := handled[sweep]; !ok {
			t.Errorf("restart %s from a tick no replica completed", c.ID)
		}
	}
	if len(cmds) != len(handled) {
		t.Errorf("%d restarts for %d handled ticks", len(cmds), len(handled))
	}
	t.Logf("ticks handled: %v; takeover after %v", handled, took)
}
