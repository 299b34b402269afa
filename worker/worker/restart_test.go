package worker_test

import (
	"testing"

	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// TestWorkerRestart: a new worker on the same database and NATS brings the
// linked sessions back to WORKING without a new QR, on SQLite and Postgres.
func TestWorkerRestart(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		first := e.startWorker("w1")
		ids := []string{"keep-a", "keep-b", "keep-c"}
		linked := map[string]session.Record{}
		for _, id := range ids {
			rec, _ := e.link(id)
			linked[id] = rec
		}
		// A stopped session stays stopped across the restart.
		e.send("keep-c", "stop")
		e.waitStatus("keep-c", session.StatusStopped, "")
		pairings := sim.Stats().Pairings

		first.stop(t)
		e.startWorker("w2")
		for _, id := range ids[:2] {
			rec := e.waitState(id, "working on w2", func(r session.Record) bool {
				return r.State.Status == session.StatusWorking && r.State.Owner == "w2"
			})
			if rec.State.DeviceJID != linked[id].State.DeviceJID {
				t.Errorf("%s came back as %s, want %s", id, rec.State.DeviceJID, linked[id].State.DeviceJID)
			}
			if rec.State.Epoch <= linked[id].State.Epoch {
				t.Errorf("%s epoch %d not newer than %d", id, rec.State.Epoch, linked[id].State.Epoch)
			}
		}
		if got := sim.Stats().Pairings; got != pairings {
			t.Errorf("restart paired %d new devices", got-pairings)
		}
		// The stopped one starts on request, still without a QR.
		e.send("keep-c", "start")
		e.waitState("keep-c", "working on w2", func(r session.Record) bool {
			return r.State.Status == session.StatusWorking && r.State.Owner == "w2"
		})
		if got := sim.Stats().Pairings; got != pairings {
			t.Errorf("start after restart paired %d new devices", got-pairings)
		}
	})
}
