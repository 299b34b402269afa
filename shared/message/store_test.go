package message_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/message"
	"github.com/switchboard-gw/switchboard/shared/natsembed"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

func stores(t *testing.T) (*message.Store, *message.Store, jetstream.JetStream) {
	t.Helper()
	ns, err := natsembed.Start(natsembed.Config{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	nc, err := ns.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bus.Ensure(context.Background(), js, bus.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Two processes' stores over the same bucket (api and worker).
	return message.NewStore(js, b.Messages), message.NewStore(js, b.Messages), js
}

// A status change made elsewhere does not fool a store that remembers an
// older revision: it never moves a record backwards or drops a step.
func TestAdvanceWithAStaleRevision(t *testing.T) {
	ctx := context.Background()
	a, w, _ := stores(t)
	now := time.Now()
	rec := message.Record{ID: "3EB0AAA", Direction: message.Outbound, To: "1@s.whatsapp.net", Status: message.StatusPending, CreatedAt: now, UpdatedAt: now}
	if _, created, err := a.CreatePending(ctx, "t", "s", rec, "hello"); err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	// w (the worker) reads it, then a (another process) moves it to delivered.
	if _, err := w.Status(ctx, "t", "s", rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, moved, err := a.Advance(ctx, "t", "s", rec.ID, message.StatusDelivered, "", now); err != nil || !moved {
		t.Fatalf("advance elsewhere: %v %v", moved, err)
	}
	// w, remembering pending, tries sent: must see delivered and not move.
	got, prev, moved, err := w.Advance(ctx, "t", "s", rec.ID, message.StatusSent, "", now)
	if err != nil || moved || prev != message.StatusDelivered || got.Status != message.StatusDelivered {
		t.Fatalf("stale advance: %+v prev=%s moved=%v err=%v", got, prev, moved, err)
	}
	// And read moves on from delivered (not from the remembered pending).
	if _, prev, moved, err = w.Advance(ctx, "t", "s", rec.ID, message.StatusRead, "", now); err != nil || !moved || prev != message.StatusDelivered {
		t.Fatalf("read: prev=%s moved=%v err=%v", prev, moved, err)
	}
	if r, err := a.Status(ctx, "t", "s", rec.ID); err != nil || r.Status != message.StatusRead {
		t.Fatalf("final %+v %v", r, err)
	}
}

// EraseText removes every stored copy of a text.
func TestEraseTextRemovesEveryCopy(t *testing.T) {
	ctx := context.Background()
	a, _, js := stores(t)
	now := time.Now()
	rec := message.Record{ID: "3EB0BBB", Direction: message.Outbound, Status: message.StatusPending, CreatedAt: now, UpdatedAt: now}
	if _, _, err := a.CreatePending(ctx, "t", "s", rec, "secret words"); err != nil {
		t.Fatal(err)
	}
	// A second copy (as a publish retried outside the dedupe window leaves).
	if _, err := js.Publish(ctx, subject.MessageText("t", "s", rec.ID), []byte("secret words")); err != nil {
		t.Fatal(err)
	}
	if err := a.EraseText(ctx, "t", "s", rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := a.Text(ctx, "t", "s", rec.ID); err != nil || ok {
		t.Fatalf("text still there: %v %v", ok, err)
	}
	st, _ := js.Stream(ctx, subject.TextStream)
	info, _ := st.Info(ctx, jetstream.WithSubjectFilter(subject.MessageText("t", "s", rec.ID)))
	if n := len(info.State.Subjects); n != 0 || info.State.Msgs != 0 {
		t.Fatalf("stream keeps %d messages (%d subjects)", info.State.Msgs, n)
	}
	if err := a.EraseText(ctx, "t", "s", "none"); err != nil {
		t.Fatalf("erasing nothing: %v", err)
	}
}

// CreateNew stores a record and its text without looking for an earlier
// attempt, and still never overwrites a record whose id exists.
func TestCreateNewKeepsAnExistingRecord(t *testing.T) {
	ctx := context.Background()
	a, w, _ := stores(t)
	now := time.Now()
	rec := message.Record{ID: "3EB0CCC", Direction: message.Outbound, To: "1@s.whatsapp.net", Status: message.StatusPending, CreatedAt: now, UpdatedAt: now}
	if _, created, err := a.CreateNew(ctx, "t", "s", rec, "first"); err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	if got, err := w.Get(ctx, "t", "s", rec.ID); err != nil || got.Text != "first" || got.Status != message.StatusPending {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, _, _, err := w.Advance(ctx, "t", "s", rec.ID, message.StatusSent, "", now); err != nil {
		t.Fatal(err)
	}
	again := rec
	again.To = "2@s.whatsapp.net"
	got, created, err := a.CreateNew(ctx, "t", "s", again, "second")
	if err != nil || created || got.Status != message.StatusSent || got.To != rec.To {
		t.Fatalf("create over an existing id: %+v created=%v err=%v", got, created, err)
	}
}
