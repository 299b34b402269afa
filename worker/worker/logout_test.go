package worker_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/types"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/worker"
)

// TestRemoteLogoutsDeleteDevices: five phones unlink their devices; by the
// time each session reads LOGGED_OUT its device and keys are gone from the
// database. whatsmeow deletes the device concurrently with the LoggedOut
// event under the connection's context, which the disconnect cancelled
// ("Failed to delete store after 401 failure: context canceled"), so 2 of 5
// devices used to stay.
func TestRemoteLogoutsDeleteDevices(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		r := e.startWorker("w1")
		const n = 5
		jids := make([]string, n)
		for i := range n {
			rec, _ := e.link(fmt.Sprintf("logout-%d", i))
			jids[i] = rec.State.DeviceJID
		}
		for i := range n {
			if err := sim.Logout(e.ctx, jids[i]); err != nil {
				t.Fatal(err)
			}
		}
		for i := range n {
			e.waitStatus(fmt.Sprintf("logout-%d", i), session.StatusLoggedOut, "")
			jid, _ := types.ParseJID(jids[i])
			if dev, err := r.ds.Container().GetDevice(e.ctx, jid); err != nil || dev != nil {
				t.Errorf("device %d still stored at LOGGED_OUT (err %v)", i, err)
			}
		}
		if all, err := r.ds.Container().GetAllDevices(e.ctx); err != nil || len(all) != 0 {
			t.Fatalf("%d devices left in whatsmeow_device (err %v), want 0", len(all), err)
		}
	})
}

// TestOrphanDevicesSweptAtStart: a device no session links to (a failed
// delete, a crash between pairing and linking) is deleted when a worker
// starts; a linked one stays.
func TestOrphanDevicesSweptAtStart(t *testing.T) {
	url := devstoretest.SQLiteURL(t)
	e := newEnv(t, url)
	ds, err := devstore.Open(e.ctx, url, e.log)
	if err != nil {
		t.Fatal(err)
	}
	orphan := storeDevice(t, ds, "15559990001:1@s.whatsapp.net")
	kept := storeDevice(t, ds, "15559990002:1@s.whatsapp.net")
	if err := ds.Link(e.ctx, tenant, "kept", kept); err != nil {
		t.Fatal(err)
	}
	ds.Close()
	r := e.startWorkerConfig("w1", func(c *worker.Config) { c.OrphanGrace = 10 * time.Millisecond }, nil)
	deadline := time.Now().Add(waitTimeout)
	for {
		dev, err := r.ds.Container().GetDevice(e.ctx, orphan)
		if err != nil {
			t.Fatal(err)
		}
		if dev == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("orphan device not swept at worker start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if dev, err := r.ds.DeviceFor(e.ctx, tenant, "kept"); err != nil || dev == nil {
		t.Fatalf("linked device was swept: %v", err)
	}
}

func storeDevice(t *testing.T, ds *devstore.Store, raw string) types.JID {
	t.Helper()
	jid, _ := types.ParseJID(raw)
	dev := ds.NewDevice()
	dev.ID = &jid
	dev.Account = &waAdv.ADVSignedDeviceIdentity{
		Details: []byte{1}, AccountSignature: make([]byte, 64), AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64),
	}
	if err := dev.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	return jid
}
