package worker_test

import (
	"fmt"
	"testing"

	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/shard"
	"github.com/switchboard-gw/switchboard/worker/ownership"
)

// TestSecondWorkerTakesShare: a joining worker takes the shards rendezvous
// gives it; their sessions move to it without a new QR and without ever
// being connected from both workers (no "replaced").
func TestSecondWorkerTakesShare(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	e.startWorker("w1")
	moving := ownership.Targets("w2", []string{"w1", "w2"}, testShards)
	if len(moving) == 0 || len(moving) == testShards {
		t.Fatalf("ids give w2 %d of %d shards; pick other ids", len(moving), testShards)
	}
	// One session per shard.
	ids := map[int]string{}
	for i := 0; len(ids) < testShards; i++ {
		id := fmt.Sprintf("share-%d", i)
		if p := shard.Of(tenant, id, testShards); ids[p] == "" {
			ids[p] = id
		}
	}
	for _, id := range ids {
		e.link(id)
	}
	before := sim.Stats()

	e.startWorker("w2")
	for p, id := range ids {
		want := "w1"
		if moving[p] {
			want = "w2"
		}
		e.waitState(id, "working on "+want, func(r session.Record) bool {
			return r.State.Status == session.StatusWorking && r.State.Owner == want
		})
	}
	after := sim.Stats()
	if after.Replaced != before.Replaced {
		t.Errorf("%d connections replaced: a device was connected from two workers", after.Replaced-before.Replaced)
	}
	if after.Pairings != before.Pairings {
		t.Errorf("moving shards paired %d new devices", after.Pairings-before.Pairings)
	}
}

// TestDrainHandsOff: a stopping worker marks itself draining, hands its
// shards to the other one shard by shard, and its sessions continue there
// without a new QR and without ever being connected twice.
func TestDrainHandsOff(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	e.startWorker("w1")
	w2 := e.startWorker("w2")
	ids := map[int]string{}
	for i := 0; len(ids) < testShards; i++ {
		id := fmt.Sprintf("drain-%d", i)
		if p := shard.Of(tenant, id, testShards); ids[p] == "" {
			ids[p] = id
		}
	}
	linked := map[string]session.Record{}
	for _, id := range ids {
		linked[id], _ = e.link(id)
	}
	before := sim.Stats()

	w2.stop(t)
	for _, id := range ids {
		rec := e.waitState(id, "working on w1", func(r session.Record) bool {
			return r.State.Status == session.StatusWorking && r.State.Owner == "w1"
		})
		if rec.State.DeviceJID != linked[id].State.DeviceJID {
			t.Errorf("%s came back as %s", id, rec.State.DeviceJID)
		}
	}
	after := sim.Stats()
	if after.Replaced != before.Replaced || after.Pairings != before.Pairings {
		t.Errorf("drain: %d replaced, %d new pairings", after.Replaced-before.Replaced, after.Pairings-before.Pairings)
	}
}
