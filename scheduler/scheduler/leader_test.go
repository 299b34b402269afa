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
	fastTTL          = 3 * time.Second
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
	replicas := map[string]*replica{"a": e.replica("a"), "b": e.replica("b")}
	replicas["a"].start(t)
	waitFor(t, 2*fastTTL, "a leads", replicas["a"].sched.Leader)
	replicas["b"].start(t)
	total := func() int { return len(replicas["a"].rec.handled()) + len(replicas["b"].rec.handled()) }
	waitFor(t, 4*fastInterval+fastTTL, "two sweeps", func() bool { return total() >= 2 })

	// Crash whoever leads now (a, unless a loaded machine let the lease lapse).
	var leaderName string
	waitFor(t, 2*fastTTL, "a leader", func() bool {
		for name, r := range replicas {
			if r.sched.Leader() {
				leaderName = name
				return true
			}
		}
		return false
	})
	leader, other := replicas[leaderName], replicas[map[string]string{"a": "b", "b": "a"}[leaderName]]
	// Crash just after one of its sweeps, so no sweep dies half-way.
	done := len(leader.rec.handled())
	waitFor(t, 4*fastInterval, "a sweep of the leader", func() bool { return len(leader.rec.handled()) > done })
	before := len(other.rec.handled())
	leader.nc.Close() // crash: no release, the lease must expire
	killed := time.Now()
	waitFor(t, fastTTL+4*fastInterval+2*time.Second, "takeover sweep", func() bool { return len(other.rec.handled()) > before })
	took := time.Since(killed)
	waitFor(t, 4*fastInterval+fastTTL, "another sweep", func() bool { return len(other.rec.handled()) > before+1 })
	if took > fastTTL+fastInterval+3*time.Second {
		t.Errorf("swept %v after the crash, want about one lease TTL (%v) plus one interval", took, fastTTL)
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := other.sched.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}

	handled := map[string]string{}
	for name, r := range replicas {
		for _, res := range r.rec.handled() {
			if prev, dup := handled[res.SweepID]; dup {
				t.Errorf("tick %s handled by %s and %s", res.SweepID, prev, name)
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
	t.Logf("ticks handled: %v; %s crashed, takeover sweep after %v", handled, leaderName, took)
}
