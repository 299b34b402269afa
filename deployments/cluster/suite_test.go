//go:build cluster

package cluster

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// full is the cluster of the full suite: 3 workers, 2 api, 2 schedulers,
// 64 shards, with linked sessions.
func full(t *testing.T, sessions int) (*cluster, []string) {
	t.Helper()
	c := newCluster(t, options{workers: 3, apis: 2, schedulers: 2})
	ids := sessionIDs("s", sessions)
	c.linkAll(ids, 8)
	return c, ids
}

// TestKillWorkerWhileCommandsFlow (1): kill -9 the worker with the most
// linked sessions while commands flow: every session logs in again on the
// survivors, the simulator's replaced count does not move, and every
// accepted command is applied.
func TestKillWorkerWhileCommandsFlow(t *testing.T) {
	c, ids := full(t, 60)
	base := c.stats()
	flow := c.flowCommands(ids, "connect")
	time.Sleep(2 * time.Second)

	victim, n := c.busiest(ids)
	var survivors []string
	for _, w := range c.liveWorkers() {
		if w != victim {
			survivors = append(survivors, w)
		}
	}
	killed := time.Now()
	c.workers[victim].kill()
	back := c.waitWorking(ids, bus.LeaseTTL+30*time.Second, "every session WORKING on a survivor", onOwner(survivors...))
	t.Logf("kill -9 %s with %d sessions: all back %.1fs after the kill", victim, n, back.Sub(killed).Seconds())
	if took := back.Sub(killed); took > bus.LeaseTTL+5*time.Second {
		t.Errorf("failover took %v, want within the lease TTL %v plus reconnects", took, bus.LeaseTTL)
	}
	accepted, lost := flow.stop(time.Minute)
	if len(lost) > 0 {
		t.Errorf("%d of %d accepted commands never applied, e.g. %s", len(lost), accepted, lost[0])
	}
	t.Logf("%d commands accepted and applied", accepted)
	c.checkNoReplaced(base, "after kill -9")
}

// TestJoinMovesAboutOneInW (2): a fourth worker joins: the shards
// rendezvous gives it (about 1/4) move to it, and only those; their
// sessions move without a QR and without a replaced connection.
func TestJoinMovesAboutOneInW(t *testing.T) {
	c, ids := full(t, 60)
	base := c.stats()
	before := c.obs.leaseHolders()

	joined := c.addWorker()
	live := c.liveWorkers()
	want := c.shardsOf(joined, live)
	c.waitBalanced(time.Minute)
	after := c.obs.leaseHolders()
	moved := 0
	for p, h := range after {
		if h != before[p] {
			moved++
			if h != joined {
				t.Errorf("shard %d moved from %s to %s, not to the new worker", p, before[p], h)
			}
		}
	}
	if moved != len(want) || moved < c.opt.shards/8 || moved > c.opt.shards/2 {
		t.Errorf("%d of %d shards moved, want the %d rendezvous gives the 4th worker (about 1/4)", moved, c.opt.shards, len(want))
	}
	onJoined := 0
	c.waitWorking(ids, time.Minute, "every session WORKING on its rendezvous owner", func(id string, r session.Record) bool {
		return r.State.Owner == c.ownerOf(id, live)
	})
	for _, id := range ids {
		if want[c.shardOf(id)] {
			onJoined++
		}
	}
	t.Logf("join: %d of %d shards and %d of %d sessions moved to %s", moved, c.opt.shards, onJoined, len(ids), joined)
	c.checkNoReplaced(base, "after join")
}

// TestDrainOnSIGTERM (3): SIGTERM a worker: it drains and exits 0; each of
// its sessions is down only for its own shard's hand-off.
func TestDrainOnSIGTERM(t *testing.T) {
	c, ids := full(t, 60)
	base := c.stats()
	victim, n := c.busiest(ids)
	var theirs, survivors []string
	for _, id := range ids {
		if r, _ := c.obs.record(id); r.State.Owner == victim {
			theirs = append(theirs, id)
		}
	}
	for _, w := range c.liveWorkers() {
		if w != victim {
			survivors = append(survivors, w)
		}
	}
	termed := time.Now()
	if code := c.workers[victim].term(time.Minute); code != 0 {
		t.Errorf("SIGTERM: %s exited %d, want 0", victim, code)
	}
	exited := time.Now()
	c.waitWorking(ids, time.Minute, "every session WORKING on the others", onOwner(survivors...))
	var worst time.Duration
	var worstID string
	for _, id := range theirs {
		_, freed := c.obs.leaseTimes(c.shardOf(id))
		down := c.obs.sinceWorking(id).Sub(freed)
		if freed.IsZero() || freed.Before(termed) {
			t.Errorf("%s: its shard was not released by the drain", id)
			continue
		}
		if down > worst {
			worst, worstID = down, id
		}
	}
	const handOff = 5 * time.Second
	if worst > handOff {
		t.Errorf("a session was down %v after its shard's release, want within %v", worst, handOff)
	}
	t.Logf("SIGTERM %s with %d sessions: exited 0 after %.1fs; longest session down after its shard's release: %v (%s, shard %d)",
		victim, n, exited.Sub(termed).Seconds(), worst.Round(time.Millisecond), worstID, c.shardOf(worstID))
	c.checkNoReplaced(base, "after drain")
}

// TestNATSNodeLoss (4): kill -9 the NATS node leading the lease bucket:
// the api keeps answering and accepting commands, no session is lost;
// restarted, the node rejoins and catches up.
func TestNATSNodeLoss(t *testing.T) {
	c, ids := full(t, 30)
	base := c.stats()
	before := c.obs.records()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := c.js.Stream(ctx, "KV_"+subject.LeasesBucket)
	must(t, err)
	info, err := st.Info(ctx)
	must(t, err)
	var node *natsNode
	for _, n := range c.nats {
		if info.Cluster != nil && n.name == info.Cluster.Leader {
			node = n
		}
	}
	if node == nil {
		node = c.nats[0]
	}
	flow := c.flowCommands(ids, "connect")
	node.proc.kill()
	killed := time.Now()
	var elected atomic.Int64 // ms from the kill to a new lease bucket leader
	go func() {
		for time.Since(killed) < time.Minute && ctx.Err() == nil {
			ictx, icancel := context.WithTimeout(ctx, time.Second)
			info, err := st.Info(ictx)
			icancel()
			if err == nil && info.Cluster != nil && info.Cluster.Leader != "" && info.Cluster.Leader != node.name {
				elected.Store(time.Since(killed).Milliseconds())
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()

	// Reads keep coming from every api while the node is down.
	var reads, failed atomic.Int64
	for time.Since(killed) < 15*time.Second {
		for _, id := range ids[:5] {
			rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := c.api.status(rctx, id)
			rcancel()
			reads.Add(1)
			if err != nil {
				failed.Add(1)
				t.Logf("read failed: %v", err)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	if failed.Load() > 0 {
		t.Errorf("%d of %d api reads failed with a NATS node down", failed.Load(), reads.Load())
	}
	c.waitWorking(ids, time.Minute, "every session WORKING with a node down", func(string, session.Record) bool { return true })

	node.start(t)
	c.procs = append(c.procs, node.proc)
	node.waitHealthy(t, 2*time.Minute)
	t.Logf("nats %s rejoined and current %.1fs after the kill", node.name, time.Since(killed).Seconds())

	accepted, lost := flow.stop(time.Minute)
	if len(lost) > 0 {
		t.Errorf("%d of %d accepted commands never applied, e.g. %s", len(lost), accepted, lost[0])
	}
	reconnected := 0
	for id, r := range c.obs.records() {
		if b := before[id]; b.State.LastConnectedAt != nil && r.State.LastConnectedAt != nil && r.State.LastConnectedAt.After(*b.State.LastConnectedAt) {
			reconnected++
		}
	}
	t.Logf("nats node %s (lease bucket leader) down: new leader after %.1fs; %d reads, %d commands accepted and applied, %d of %d sessions reconnected",
		node.name, float64(elected.Load())/1000, reads.Load(), accepted, reconnected, len(ids))
	c.checkNoReplaced(base, "after a NATS node loss")
}

// TestPostgresRestart (5): restart Postgres: running sessions stay up
// (none reconnects); linking a new session works again once it is back.
func TestPostgresRestart(t *testing.T) {
	c, ids := full(t, 20)
	base := c.stats()
	before := c.obs.records()
	t.Cleanup(func() { ensurePostgres(t) })

	restartPostgres(t)
	time.Sleep(5 * time.Second) // keepalives and liveness writes go on meanwhile
	for _, id := range ids {
		r, _ := c.obs.record(id)
		b := before[id]
		if r.State.Status != session.StatusWorking || !r.State.LastConnectedAt.Equal(*b.State.LastConnectedAt) {
			t.Errorf("%s: %s, connected at %v (was %v): not kept up across the restart",
				id, r.State.Status, r.State.LastConnectedAt, b.State.LastConnectedAt)
		}
	}
	linked := c.linkAll([]string{"after-restart"}, 1)
	t.Logf("postgres restarted: %d sessions stayed up; new session linked as %s", len(ids), linked["after-restart"].State.DeviceJID)
	st := c.stats()
	if st.Replaced != base.Replaced {
		t.Errorf("%d connections replaced", st.Replaced-base.Replaced)
	}
}

// pgCtl runs pg_ctlcluster on the local cluster (CI runs as root on this
// machine).
func pgCtl(action string) error {
	out, err := exec.Command("sh", "-c",
		fmt.Sprintf("pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -1) main %s", action)).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctlcluster %s: %w: %s", action, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func pgReady() bool {
	return exec.Command("pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q").Run() == nil
}

func restartPostgres(t *testing.T) {
	t.Helper()
	if err := pgCtl("restart"); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "postgres back", func() (bool, string) { return pgReady(), "" })
}

// ensurePostgres starts Postgres if a test left it down.
func ensurePostgres(t *testing.T) {
	if pgReady() {
		return
	}
	if err := pgCtl("start"); err != nil {
		t.Errorf("postgres left down: %v", err)
	}
}
