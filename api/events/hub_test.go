package events_test

import (
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/api/events"
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// TestLostEventsDropReaders floods a tenant's subscription past its pending
// limit: nats.go then drops events (slow consumer), and the reader, whose
// own queue never filled, must be dropped so that it reconnects instead of
// silently missing them.
func TestLostEventsDropReaders(t *testing.T) {
	ns, pub := natstest.Start(t)
	nc, err := ns.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	const n = 20000
	h, err := events.New(events.Config{NC: nc, Buffer: n, PendingLimit: 1}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	r, err := h.Subscribe("t", "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	subj := subject.Event("t", "s1", "message_received")
	for range n {
		if err := pub.Publish(subj, []byte(`{"id":"x"}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.Flush(); err != nil {
		t.Fatal(err)
	}
	got := 0
	timeout := time.After(10 * time.Second)
	for {
		select {
		case <-r.Dropped():
			return
		case <-r.Events():
			got++
		case <-timeout:
			t.Fatalf("reader got %d of %d events and was never dropped", got, n)
		}
		if got == n {
			t.Fatal("every event arrived: the flood never overflowed the pending limit, so nothing was checked")
		}
	}
}
