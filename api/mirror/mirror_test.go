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
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

func TestMirrorFollowsKV(t *testing.T) {
	_, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := bus.Ensure(ctx, js, bus.Config{Shards: 2})
	if err != nil {
		t.Fatal(err)
	}
	putRec := func(id, name string) {
		body, _ := json.Marshal(session.Record{Tenant: "t", ID: id, Config: session.Config{Name: name}, Desired: session.DesiredRunning})
		if _, err := b.Sessions.Put(ctx, subject.SessionKey("t", id), body); err != nil {
			t.Fatal(err)
		}
	}
	putRec("before", "x")
	m, err := mirror.New(mirror.Config{Sessions: b.Sessions, Pairing: b.Pairing, Leases: b.Leases, Shards: 2}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Stop(ctx) }()
	// Synced: the initial value is there as soon as Start returns.
	if _, _, ok := m.Session("t", "before"); !ok {
		t.Fatal("initial value missing after Start")
	}
	putRec("after", "y")
	if err := b.Sessions.Delete(ctx, subject.SessionKey("t", "before")); err != nil {
		t.Fatal(err)
	}
	pair, _ := json.Marshal(session.Pairing{Code: "ABCD-EFGH", Command: "c1"})
	if _, err := b.Pairing.Put(ctx, subject.SessionKey("t", "after"), pair); err != nil {
		t.Fatal(err)
	}
	p, err := m.WaitPairing(ctx, "t", "after", func(p session.Pairing) bool { return p.Command == "c1" })
	if err != nil || p.Code != "ABCD-EFGH" {
		t.Fatalf("pairing %+v %v", p, err)
	}
	// The sessions watch delivered its updates before the pairing one
	// arrived? Not necessarily: wait for it explicitly.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, _, before := m.Session("t", "before")
		_, _, after := m.Session("t", "after")
		if !before && after {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mirror did not follow: before=%v after=%v", before, after)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !m.NameTaken("t", "y", "other") || m.NameTaken("t", "y", "after") || m.NameTaken("t", "x", "other") {
		t.Error("name index wrong")
	}
}
