package worker_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/worker"
)

// TestLifecycle drives one session through every verb: QR linking, stop,
// start without a new QR, restart, logout and delete.
func TestLifecycle(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	r := e.startWorker("w1")
	const id = "life"
	ev := e.tap(id)
	phone := newPhone()

	e.create(id)
	startID := e.send(id, command.Start)
	p := e.waitPairing(id, "qr codes", func(p session.Pairing) bool { return len(p.QRCodes) > 0 })
	if p.TimeoutSeconds != 20 {
		t.Errorf("timeout_seconds = %d, want 20 (2 refs)", p.TimeoutSeconds)
	}
	rec := e.waitStatus(id, session.StatusScanQR, "")
	if rec.State.Owner != "w1" || rec.State.Epoch == 0 {
		t.Errorf("owner/epoch = %q/%d", rec.State.Owner, rec.State.Epoch)
	}
	if rec.State.Command != startID {
		t.Errorf("command = %q, want %q", rec.State.Command, startID)
	}
	ev.next(event.QR, nil)

	ctx, cancel := context.WithTimeout(e.ctx, waitTimeout)
	defer cancel()
	res, err := sim.ScanQR(ctx, p.QRCodes[0], phone, "Alice")
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	rec = e.waitStatus(id, session.StatusWorking, "")
	st := rec.State
	if st.DeviceJID != res.JID.String() || st.PhoneNumber != phone || st.LID == "" || st.DeviceID == 0 {
		t.Errorf("device fields = %+v, want jid %s phone %s", st, res.JID, phone)
	}
	if st.LastConnectedAt == nil || st.LastKeepalive == nil {
		t.Error("last_connected_at / last_keepalive not set")
	}
	ev.next(event.StatusChanged, statusIs(session.StatusWorking))
	ev.next(event.LoggedIn, nil)
	e.waitGone(e.b.Pairing, id)
	if dev, err := r.ds.DeviceFor(ctx, tenant, id); err != nil || dev == nil {
		t.Fatalf("no linked device after pairing: %v", err)
	}
	pairings := sim.Stats().Pairings

	stopID := e.send(id, command.Stop)
	e.waitStatus(id, session.StatusStopped, stopID)
	// Stop on a stopped session is a no-op that still reports its id.
	stop2 := e.send(id, command.Stop)
	e.waitStatus(id, session.StatusStopped, stop2)

	startID = e.send(id, command.Start)
	rec = e.waitStatus(id, session.StatusWorking, "")
	if rec.State.DeviceJID != res.JID.String() {
		t.Errorf("reconnected as %s, want %s", rec.State.DeviceJID, res.JID)
	}
	if sim.Stats().Pairings != pairings || !e.pairingAbsent(id) {
		t.Error("start of a linked session asked for a new QR")
	}
	// Start on a running session is a no-op.
	start2 := e.send(id, command.Start)
	e.waitStatus(id, session.StatusWorking, start2)

	before := *rec.State.LastConnectedAt
	restartID := e.send(id, command.Restart)
	rec = e.waitState(id, "working after restart", func(r session.Record) bool {
		return r.State.Status == session.StatusWorking && r.State.LastConnectedAt.After(before)
	})
	if sim.Stats().Pairings != pairings {
		t.Error("restart asked for a new QR")
	}
	_ = restartID

	logoutID := e.send(id, command.Logout)
	rec = e.waitStatus(id, session.StatusLoggedOut, logoutID)
	if rec.State.DeviceJID != "" || rec.State.PhoneNumber != "" || rec.State.LID != "" {
		t.Errorf("device fields kept after logout: %+v", rec.State)
	}
	if dev, err := r.ds.DeviceFor(ctx, tenant, id); err != nil || dev != nil {
		t.Errorf("device still linked after logout: %v %v", dev, err)
	}
	ev.next(event.LoggedOut, nil)

	e.send(id, command.Delete)
	e.waitGone(e.b.Sessions, id)
	if !e.pairingAbsent(id) {
		t.Error("pairing entry left after delete")
	}
}

// TestPairCode links a session with a phone-number pair code.
func TestPairCode(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	e.startWorker("w1")
	const id = "paired"
	ev := e.tap(id)
	phone := newPhone()
	e.create(id)
	pairID := e.send(id, command.Pair, func(c *command.Command) { c.Phone = phone })
	p := e.waitPairing(id, "pair code", func(p session.Pairing) bool { return p.Command == pairID })
	if p.Error != "" || len(p.Code) != 9 || p.Code[4] != '-' || p.TimeoutSeconds <= 0 {
		t.Fatalf("pairing = %+v", p)
	}
	e.waitStatus(id, session.StatusPairCode, pairID)
	ev.next(event.PairCode, nil)

	ctx, cancel := context.WithTimeout(e.ctx, waitTimeout)
	defer cancel()
	res, err := sim.LinkCode(ctx, phone, p.Code)
	if err != nil {
		t.Fatalf("link code: %v", err)
	}
	rec := e.waitStatus(id, session.StatusWorking, "")
	if rec.State.DeviceJID != res.JID.String() {
		t.Errorf("device = %s, want %s", rec.State.DeviceJID, res.JID)
	}
	e.waitGone(e.b.Pairing, id)

	// Pairing a linked session fails with an answer the api can show.
	again := e.send(id, command.Pair, func(c *command.Command) { c.Phone = phone })
	p = e.waitPairing(id, "pair error", func(p session.Pairing) bool { return p.Command == again })
	if p.Error == "" {
		t.Errorf("pair on a linked session: %+v", p)
	}
}

// TestRemoteLogout: the phone unlinks the device.
func TestRemoteLogout(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	r := e.startWorker("w1")
	const id = "unlinked"
	rec, _ := e.link(id)
	ev := e.tap(id)
	if err := sim.Logout(e.ctx, rec.State.DeviceJID); err != nil {
		t.Fatal(err)
	}
	rec = e.waitStatus(id, session.StatusLoggedOut, "")
	if rec.State.LastError != "device_removed" || rec.State.DeviceJID != "" {
		t.Errorf("state after remote logout = %+v", rec.State)
	}
	env := ev.next(event.LoggedOut, nil)
	var d event.Status
	if json.Unmarshal(env.Data, &d); d.LastError != "device_removed" {
		t.Errorf("logged out event = %s", env.Data)
	}
	if dev, err := r.ds.DeviceFor(e.ctx, tenant, id); err != nil || dev != nil {
		t.Errorf("device still linked: %v %v", dev, err)
	}
}

// TestReplaced: another connection of the device replaces ours.
func TestReplaced(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	e.startWorker("w1")
	const id = "replaced"
	rec, _ := e.link(id)
	if err := sim.Replace(e.ctx, rec.State.DeviceJID); err != nil {
		t.Fatal(err)
	}
	rec = e.waitStatus(id, session.StatusFailed, "")
	if rec.State.LastError != "replaced" {
		t.Errorf("last_error = %q", rec.State.LastError)
	}
}

// TestInboundMessage: a message to the device becomes an event on WA_EVT.
func TestInboundMessage(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	e.startWorker("w1")
	const id = "inbox"
	rec, _ := e.link(id)
	ev := e.tap(id)
	from := newPhone()
	if _, err := sim.SendText(e.ctx, rec.State.DeviceJID, from, "hello there"); err != nil {
		t.Fatal(err)
	}
	env := ev.next(event.MessageReceived, nil)
	var m event.Message
	if err := json.Unmarshal(env.Data, &m); err != nil {
		t.Fatal(err)
	}
	if m.Text != "hello there" || m.ID == "" || m.Chat == "" || m.From == "" {
		t.Errorf("message event = %+v", m)
	}
	if env.ID != tenant+"/"+id+"/message/"+m.ID {
		t.Errorf("event id = %q", env.ID)
	}
}

// TestQRTimeout: nobody scans; the registration ends STOPPED "qr_timeout"
// and its codes are withdrawn.
func TestQRTimeout(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	e.startWorkerWith("w1", func(w *worker.Worker) { w.SetQRWindow(300 * time.Millisecond) })
	const id = "unscanned"
	e.create(id)
	e.send(id, command.Start)
	e.waitPairing(id, "qr codes", func(p session.Pairing) bool { return len(p.QRCodes) > 0 })
	rec := e.waitStatus(id, session.StatusStopped, "")
	if rec.State.LastError != "qr_timeout" {
		t.Errorf("last_error = %q", rec.State.LastError)
	}
	e.waitGone(e.b.Pairing, id)
	// A new start shows a new QR.
	e.send(id, command.Start)
	e.waitStatus(id, session.StatusScanQR, "")
}

// TestDroppedSocketReconnects: the socket drops; whatsmeow reconnects and the
// session is WORKING again with a newer connection time.
func TestDroppedSocketReconnects(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	e.startWorker("w1")
	const id = "dropped"
	rec, _ := e.link(id)
	before := *rec.State.LastConnectedAt
	if err := sim.Drop(e.ctx, rec.State.DeviceJID); err != nil {
		t.Fatal(err)
	}
	e.waitState(id, "reconnected", func(r session.Record) bool {
		return r.State.Status == session.StatusWorking && r.State.LastConnectedAt.After(before)
	})
}
