package worker_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// TestCommandsInOrder: a burst of commands for one session is applied in
// publish order; the last one wins.
func TestCommandsInOrder(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	e.startWorker("w1")
	const id = "ordered"
	e.link(id)

	// Watch every applied command id while the burst is applied.
	w, err := e.b.Sessions.Watch(e.ctx, subject.SessionKey(tenant, id), jetstream.UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Stop() }()
	var sent []string
	for i := range 6 {
		verb := command.Stop
		if i%2 == 1 {
			verb = command.Start
		}
		sent = append(sent, e.send(id, verb))
	}
	var seen []string
	timeout := time.After(waitTimeout)
	for len(seen) == 0 || seen[len(seen)-1] != sent[len(sent)-1] {
		select {
		case en := <-w.Updates():
			var r session.Record
			if en == nil || json.Unmarshal(en.Value(), &r) != nil {
				continue
			}
			if n := len(seen); r.State.Command != "" && (n == 0 || seen[n-1] != r.State.Command) {
				seen = append(seen, r.State.Command)
			}
		case <-timeout:
			t.Fatalf("last command not applied; saw %v", seen)
		}
	}
	// Every observed id appears in publish order (a watch may skip some).
	pos := -1
	for _, c := range seen {
		i := slices.Index(sent, c)
		if i < 0 {
			continue // the start of link()
		}
		if i <= pos {
			t.Fatalf("applied out of order: saw %v, sent %v", seen, sent)
		}
		pos = i
	}
	e.waitStatus(id, session.StatusWorking, sent[len(sent)-1])
}

// TestUnknownSessionCommandDropped: a command for a session without a record
// is acknowledged and dropped, not redelivered forever.
func TestUnknownSessionCommandDropped(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	// Acks travel on $JS.ACK.<stream>.<consumer>...; watch them.
	acks := make(chan string, 16)
	sub, err := e.nc.Subscribe("$JS.ACK."+subject.CommandStream+".>", func(m *nats.Msg) { acks <- string(m.Data) })
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	e.startWorker("w1")
	e.send("ghost", command.Start)
	select {
	case a := <-acks:
		if a != "+ACK" && a != "" {
			t.Fatalf("command settled with %q, want an ack", a)
		}
	case <-time.After(waitTimeout):
		t.Fatal("command for unknown session not acknowledged")
	}
	if _, err := e.b.Sessions.Get(e.ctx, subject.SessionKey(tenant, "ghost")); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("worker created a record for an unknown session: %v", err)
	}
}
