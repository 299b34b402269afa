package report_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
	"github.com/switchboard-gw/switchboard/worker/report"
)

func setup(t *testing.T) (context.Context, *bus.Buckets, *report.Reporter) {
	t.Helper()
	_, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	b, err := bus.Ensure(ctx, js, bus.Config{Shards: 2})
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.New(report.Config{Sessions: b.Sessions, Pairing: b.Pairing, JS: js}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return ctx, b, r
}

func put(ctx context.Context, t *testing.T, kv jetstream.KeyValue, rec session.Record) {
	t.Helper()
	b, _ := json.Marshal(rec)
	if _, err := kv.Put(ctx, subject.SessionKey(rec.Tenant, rec.ID), b); err != nil {
		t.Fatal(err)
	}
}

// TestUpdateStateKeepsAPIWrites: a state write that races an api write of
// Config re-reads and keeps the api's change.
func TestUpdateStateKeepsAPIWrites(t *testing.T) {
	ctx, b, r := setup(t)
	put(ctx, t, b.Sessions, session.Record{Tenant: "t", ID: "s", Desired: session.DesiredRunning})
	snap, err := r.Load(ctx, "t", "s")
	if err != nil {
		t.Fatal(err)
	}
	// The api changes the config after our read.
	rec := snap.Record
	rec.Config.Name = "renamed"
	put(ctx, t, b.Sessions, rec)

	fence := report.Fence{Owner: "w1", Epoch: 7}
	if _, err := r.UpdateState(ctx, fence, &snap, func(x *session.State) { x.Status = session.StatusWorking }); err != nil {
		t.Fatal(err)
	}
	got, err := r.Load(ctx, "t", "s")
	if err != nil {
		t.Fatal(err)
	}
	st := got.Record.State
	if got.Record.Config.Name != "renamed" || st.Status != session.StatusWorking || st.Owner != "w1" || st.Epoch != 7 || st.UpdatedAt.IsZero() {
		t.Fatalf("record = %+v", got.Record)
	}
	if snap.Revision != got.Revision {
		t.Errorf("snapshot revision %d, stored %d", snap.Revision, got.Revision)
	}
	// StatusSince moves with the status only.
	since := st.StatusSince
	if since.IsZero() {
		t.Fatal("status_since not set")
	}
	if _, err := r.UpdateState(ctx, fence, &snap, func(x *session.State) { x.PushName = "Alice" }); err != nil {
		t.Fatal(err)
	}
	if !snap.Record.State.StatusSince.Equal(since) {
		t.Errorf("status_since moved on a write of the same status")
	}
	if _, err := r.UpdateState(ctx, fence, &snap, func(x *session.State) { x.Status = session.StatusStarting }); err != nil {
		t.Fatal(err)
	}
	if !snap.Record.State.StatusSince.After(since) {
		t.Errorf("status_since kept on a status change")
	}
}

// TestUpdateStateFenced: a write from an older epoch is refused and changes
// nothing.
func TestUpdateStateFenced(t *testing.T) {
	ctx, b, r := setup(t)
	put(ctx, t, b.Sessions, session.Record{Tenant: "t", ID: "s", State: session.State{Owner: "w2", Epoch: 9, Status: session.StatusWorking}})
	snap := report.Snapshot{Record: session.Record{Tenant: "t", ID: "s"}}
	_, err := r.UpdateState(ctx, report.Fence{Owner: "w1", Epoch: 8}, &snap, func(x *session.State) { x.Status = session.StatusStopped })
	if !errors.Is(err, report.ErrFenced) {
		t.Fatalf("err = %v, want ErrFenced", err)
	}
	if err := r.DeleteSession(ctx, report.Fence{Owner: "w1", Epoch: 8}, "t", "s"); !errors.Is(err, report.ErrFenced) {
		t.Fatalf("delete err = %v, want ErrFenced", err)
	}
	got, _ := r.Load(ctx, "t", "s")
	if got.Record.State.Owner != "w2" || got.Record.State.Status != session.StatusWorking {
		t.Fatalf("fenced write changed the record: %+v", got.Record.State)
	}
}

// TestUpdateStateGone: writing a missing record is ErrGone, deleting one is
// not an error.
func TestUpdateStateGone(t *testing.T) {
	ctx, _, r := setup(t)
	snap := report.Snapshot{Record: session.Record{Tenant: "t", ID: "none"}}
	if _, err := r.UpdateState(ctx, report.Fence{Owner: "w", Epoch: 1}, &snap, func(*session.State) {}); !errors.Is(err, report.ErrGone) {
		t.Fatalf("err = %v, want ErrGone", err)
	}
	if err := r.DeleteSession(ctx, report.Fence{Owner: "w", Epoch: 1}, "t", "none"); err != nil {
		t.Fatalf("delete of missing record: %v", err)
	}
}

// TestLoadDeletedIsGone: a deleted record is gone, through the leader read
// that confirms every "not found".
func TestLoadDeletedIsGone(t *testing.T) {
	ctx, b, r := setup(t)
	put(ctx, t, b.Sessions, session.Record{Tenant: "t", ID: "s", Desired: session.DesiredRunning})
	if _, err := r.Load(ctx, "t", "s"); err != nil {
		t.Fatal(err)
	}
	if err := b.Sessions.Delete(ctx, subject.SessionKey("t", "s")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Load(ctx, "t", "s"); !errors.Is(err, report.ErrGone) {
		t.Fatalf("load of a deleted record: %v, want ErrGone", err)
	}
}
