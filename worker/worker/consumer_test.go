package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// TestShardConsumersKeepStateInMemory: the shards' command consumers keep
// their state in memory (no state files to flush while commands flow, none
// for nats-server to wait on at a stop). A deployment upgraded from a
// version whose consumers were file-backed (which nats-server refuses to
// change) gets them replaced, and a command the old consumer delivered but
// never settled (its worker crashed) is still applied.
func TestShardConsumersKeepStateInMemory(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	ctx, cancel := context.WithTimeout(e.ctx, time.Minute)
	defer cancel()
	const id = "memstate"
	e.create(id)
	cmd := e.send(id, command.Start)
	// The earlier version's consumers, one of which delivered the command
	// to a worker that never acknowledged it.
	pending := 0
	for i := range testShards {
		c, err := e.js.CreateOrUpdateConsumer(ctx, subject.CommandStream, jetstream.ConsumerConfig{
			Durable: subject.ShardConsumer(i), FilterSubject: subject.ShardCommands(i),
			AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, DeliverPolicy: jetstream.DeliverAllPolicy,
		})
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := c.FetchNoWait(10)
		if err != nil {
			t.Fatal(err)
		}
		for range msgs.Messages() {
			pending++ // received, never acknowledged
		}
	}
	if pending != 1 {
		t.Fatalf("the old consumers delivered %d commands, want 1", pending)
	}

	e.startWorker("w1")
	e.waitPairing(id, "qr codes after the start command", func(p session.Pairing) bool { return len(p.QRCodes) > 0 })
	if rec := e.waitState(id, "start command applied", func(r session.Record) bool { return r.State.Command == cmd }); rec.State.Command != cmd {
		t.Fatalf("applied %q, want %q", rec.State.Command, cmd)
	}
	for i := range testShards {
		c, err := e.js.Consumer(ctx, subject.CommandStream, subject.ShardConsumer(i))
		if err != nil {
			t.Fatal(err)
		}
		if !c.CachedInfo().Config.MemoryStorage {
			t.Fatalf("shard %d's consumer keeps its state in files", i)
		}
	}
	// A command sent now is delivered by the replaced consumer.
	stop := e.send(id, command.Stop)
	e.waitState(id, "stop command applied", func(r session.Record) bool { return r.State.Command == stop })
}
