package report_test

import (
	"context"
	"fmt"
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

// TestMarkConnectingEverySnapshot: a stop marks a few hundred sessions at
// once (more than one async window). Current snapshots, stale ones (the api
// wrote meanwhile), ones without a revision and one fenced by a newer epoch
// all end as they must: STARTING with worker_stopped under this fence
// (keeping the api's write), or untouched when fenced; one status event per
// change.
func TestMarkConnectingEverySnapshot(t *testing.T) {
	ctx, b, r, js := setupJS(t)
	events, err := js.Stream(ctx, subject.EventStream)
	if err != nil {
		t.Fatal(err)
	}
	fence := report.Fence{Owner: "w1", Epoch: 7}
	const n = 300
	snaps := make([]*report.Snapshot, 0, n)
	for i := range n {
		id := fmt.Sprintf("s%03d", i)
		rec := session.Record{Tenant: "t", ID: id, Desired: session.DesiredRunning,
			State: session.State{Status: session.StatusWorking, Owner: "w1", Epoch: 7}}
		if i == 5 {
			rec.State.Epoch = 8 // another worker owns it now
		}
		put(ctx, t, b.Sessions, rec)
		snap, err := r.Load(ctx, "t", id)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case i%10 == 1: // the api renamed it after our read
			renamed := snap.Record
			renamed.Config.Name = "renamed"
			put(ctx, t, b.Sessions, renamed)
		case i%10 == 2: // never read by this worker
			snap.Revision = 0
		}
		snaps = append(snaps, &snap)
	}
	info, err := events.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	events0 := info.State.Msgs

	written, err := r.MarkConnecting(ctx, fence, snaps, report.ReasonWorkerStopped)
	if err != nil {
		t.Fatal(err)
	}
	if written != n-1 {
		t.Errorf("written %d, want %d", written, n-1)
	}
	for i := range n {
		got, err := r.Load(ctx, "t", fmt.Sprintf("s%03d", i))
		if err != nil {
			t.Fatal(err)
		}
		st := got.Record.State
		if i == 5 {
			if st.Status != session.StatusWorking || st.Epoch != 8 {
				t.Errorf("fenced session was written: %+v", st)
			}
			continue
		}
		if st.Status != session.StatusStarting || st.LastError != report.ReasonWorkerStopped || st.Epoch != 7 || st.Owner != "w1" {
			t.Errorf("%s: state %+v, want STARTING worker_stopped under epoch 7", got.Record.ID, st)
		}
		if i%10 == 1 && got.Record.Config.Name != "renamed" {
			t.Errorf("%s: the api's write was lost: %+v", got.Record.ID, got.Record.Config)
		}
		if i != 5 && snaps[i].Revision != got.Revision {
			t.Errorf("%s: snapshot revision %d, stored %d", got.Record.ID, snaps[i].Revision, got.Revision)
		}
	}
	info, err = events.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := info.State.Msgs - events0; d != n-1 {
		t.Errorf("%d status events published, want %d", d, n-1)
	}

	// A second stop under the same fence has nothing left to write.
	if written, err := r.MarkConnecting(ctx, fence, snaps, report.ReasonWorkerStopped); err != nil || written != 0 {
		t.Errorf("second mark: %d written, %v", written, err)
	}
}

// setupJS is setup that also returns the JetStream context.
func setupJS(t *testing.T) (context.Context, *bus.Buckets, *report.Reporter, jetstream.JetStream) {
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
	return ctx, b, r, js
}
