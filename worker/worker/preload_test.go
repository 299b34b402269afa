package worker_test

import (
	"context"
	"sync/atomic"
	"testing"

	"go.mau.fi/whatsmeow/store"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/worker"
)

// countingLinks counts the device reads of a worker.
type countingLinks struct {
	devstore.Links
	one, bulk, widest atomic.Int64
}

func (c *countingLinks) DeviceFor(ctx context.Context, tenant, id string) (*store.Device, error) {
	c.one.Add(1)
	return c.Links.DeviceFor(ctx, tenant, id)
}

func (c *countingLinks) DevicesFor(ctx context.Context, refs []devstore.SessionRef) (map[devstore.SessionRef]*store.Device, error) {
	c.bulk.Add(1)
	if n := int64(len(refs)); n > c.widest.Load() {
		c.widest.Store(n)
	}
	return c.Links.DevicesFor(ctx, refs)
}

// restartCounting links ids on worker "<prefix>1", stops it, starts worker
// "<prefix>2" (tune runs before its Start) with its device reads counted,
// and checks every session comes back WORKING on its own device.
func restartCounting(t *testing.T, e *env, prefix string, ids []string, tune func(*worker.Worker)) *countingLinks {
	t.Helper()
	first := e.startWorker(prefix + "1")
	linked := map[string]session.Record{}
	for _, id := range ids {
		linked[id], _ = e.link(id)
	}
	first.stop(t)

	links := &countingLinks{}
	second := prefix + "2"
	e.startWorkerWith(second, func(w *worker.Worker) {
		tune(w)
		w.WrapDevices(func(l devstore.Links) devstore.Links { links.Links = l; return links })
	})
	for _, id := range ids {
		rec := e.waitState(id, "working on "+second, func(r session.Record) bool {
			return r.State.Status == session.StatusWorking && r.State.Owner == second
		})
		if rec.State.DeviceJID != linked[id].State.DeviceJID {
			t.Errorf("%s came back as %s, want %s", id, rec.State.DeviceJID, linked[id].State.DeviceJID)
		}
	}
	return links
}

// TestRestartPreloadsDevices: a restarted worker reads the devices of the
// sessions it reconnects in bulk, not one by one, and they come back on the
// same device.
func TestRestartPreloadsDevices(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		links := restartCounting(t, e, "p", []string{"pre-a", "pre-b", "pre-c", "pre-d"}, func(*worker.Worker) {})
		if n := links.one.Load(); n != 0 {
			t.Errorf("%d devices read one by one after the restart, want 0 (bulk reads: %d)", n, links.bulk.Load())
		}
		if links.bulk.Load() == 0 {
			t.Error("no bulk device read")
		}
	})
}

// TestTakeoverQueuesInChunks: a shard taking over its sessions marks,
// reads and queues them a chunk at a time (so the first connect does not
// wait for the whole shard's reads), and every one still comes back on its
// device. With a chunk of one, each bulk read is one session: six reads
// for six sessions, where one read per shard (four shards) would be fewer.
func TestTakeoverQueuesInChunks(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		ids := []string{"chunk-a", "chunk-b", "chunk-c", "chunk-d", "chunk-e", "chunk-f"}
		links := restartCounting(t, e, "c", ids, func(w *worker.Worker) { w.SetLoadChunk(1) })
		if got := links.bulk.Load(); got != int64(len(ids)) || links.widest.Load() != 1 {
			t.Errorf("%d bulk reads, widest %d sessions; want %d reads of one", got, links.widest.Load(), len(ids))
		}
		if n := links.one.Load(); n != 0 {
			t.Errorf("%d devices read one by one, want 0", n)
		}
	})
}

// loadingProbe records, at each bulk device read, whether the worker
// counted the sessions being read as loading.
type loadingProbe struct {
	devstore.Links
	w            *worker.Worker
	reads, short atomic.Int64
}

func (p *loadingProbe) DevicesFor(ctx context.Context, refs []devstore.SessionRef) (map[devstore.SessionRef]*store.Device, error) {
	p.reads.Add(1)
	if p.w.Loading() < int64(len(refs)) {
		p.short.Add(1)
	}
	return p.Links.DevicesFor(ctx, refs)
}

// TestRestartCountsLoadingSessions: while a starting shard reads the
// devices of the sessions it is about to queue, they count as connects
// wanted (so a restart's storm begins with its reads), and once all are
// queued nothing is left counted: a count left behind would keep the GC
// target raised for good.
func TestRestartCountsLoadingSessions(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	var probe loadingProbe
	var second *worker.Worker
	ids := []string{"load-a", "load-b", "load-c", "load-d", "load-e"}
	restartCounting(t, e, "l", ids, func(w *worker.Worker) {
		second, probe.w = w, w
		w.WrapDevices(func(l devstore.Links) devstore.Links { probe.Links = l; return &probe })
	})
	if probe.reads.Load() == 0 {
		t.Fatal("no bulk device read")
	}
	if n := probe.short.Load(); n > 0 {
		t.Errorf("%d of %d bulk reads ran while their sessions were not counted as loading", n, probe.reads.Load())
	}
	if n := second.Loading(); n != 0 {
		t.Errorf("%d sessions still counted as loading after all came back", n)
	}
}
