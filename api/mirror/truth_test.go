package mirror_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/api/mirror"
	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/lease"
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/shard"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// A record that claims WORKING is shown as WORKING only while the lease of
// its shard is held by its owner at its epoch; otherwise it reads STARTING
// (connecting), with no write to the record.
func TestStatusNeedsTheOwnersLease(t *testing.T) {
	_, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const shards = 4
	b, err := bus.Ensure(ctx, js, bus.Config{Shards: shards})
	if err != nil {
		t.Fatal(err)
	}
	leaseKey := subject.LeaseKey(shard.Of("t", "s1", shards))
	// w1 takes the shard (epoch = the create's revision) and renews it once.
	epoch, err := b.Leases.Create(ctx, leaseKey, lease.EncodeValue("w1", 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Leases.Update(ctx, leaseKey, lease.EncodeValue("w1", epoch), epoch); err != nil {
		t.Fatal(err)
	}
	put := func(owner string, ep uint64, desired session.Desired) {
		rec := session.Record{Tenant: "t", ID: "s1", Desired: desired,
			State: session.State{Status: session.StatusWorking, Owner: owner, Epoch: ep}}
		body, _ := json.Marshal(rec)
		if _, err := b.Sessions.Put(ctx, subject.SessionKey("t", "s1"), body); err != nil {
			t.Fatal(err)
		}
	}
	put("w1", epoch, session.DesiredRunning)

	m, err := mirror.New(mirror.Config{Sessions: b.Sessions, Pairing: b.Pairing, Leases: b.Leases, Shards: shards}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Stop(ctx) }()
	want := func(what string, status session.Status) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			rec, _, ok := m.Session("t", "s1")
			recs, _ := m.List("t", 0, 10)
			if ok && rec.State.Status == status && len(recs) == 1 && recs[0].State.Status == status {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: status %s (list %v), want %s", what, rec.State.Status, recs, status)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	want("owner holds the lease (renewed) at the record's epoch", session.StatusWorking)

	// The owner's lease is gone (expired or released): nobody holds it.
	if err := b.Leases.Delete(ctx, leaseKey); err != nil {
		t.Fatal(err)
	}
	want("lease gone", session.StatusStarting)

	// Another worker took the shard but has not written the record yet.
	rev, err := b.Leases.Create(ctx, leaseKey, lease.EncodeValue("w2", 0))
	if err != nil {
		t.Fatal(err)
	}
	want("lease held by another worker", session.StatusStarting)

	// A new incarnation of w1 adopted the lease: same holder, newer epoch.
	rev, err = b.Leases.Update(ctx, leaseKey, lease.EncodeValue("w1", 0), rev)
	if err != nil {
		t.Fatal(err)
	}
	want("lease adopted by a new incarnation of the owner", session.StatusStarting)

	// That incarnation reports it logged in under its epoch.
	put("w1", rev, session.DesiredRunning)
	want("owner reported under the lease's epoch", session.StatusWorking)

	// A session not wanted running whose owner is gone reads stopped.
	put("w1", rev, session.DesiredStopped)
	want("stopped session, owner holds", session.StatusWorking)
	if err := b.Leases.Delete(ctx, leaseKey); err != nil {
		t.Fatal(err)
	}
	want("stopped session, lease gone", session.StatusStopped)
}
