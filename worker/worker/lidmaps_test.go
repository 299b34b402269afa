package worker

import (
	"context"
	"testing"

	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
)

// TestReadFirstLIDMap: a pair already stored is not written again, a
// changed pair is, and a fresh map (a restart) reads what the first stored.
func TestReadFirstLIDMap(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, url string) {
		ctx := context.Background()
		ds, maps := openLIDMaps(t, url)
		pn := types.NewJID("15550401", types.DefaultUserServer)
		lid1 := types.NewJID("900001", types.HiddenUserServer)
		lid2 := types.NewJID("900002", types.HiddenUserServer)
		dev := ds.NewDevice()
		maps.attach(dev)
		a := dev.LIDs.(readFirstLIDMap)
		for _, lid := range []types.JID{lid1, lid1, lid2} {
			if err := a.PutLIDMapping(ctx, lid, pn); err != nil {
				t.Fatal(err)
			}
		}
		maps.attach(dev) // a restart: empty cache
		got, err := dev.LIDs.GetLIDForPN(ctx, pn)
		if err != nil || got.User != lid2.User {
			t.Fatalf("after restart: %v %v, want %v", got, err, lid2)
		}
		var n int
		if err := ds.DB().QueryRowContext(ctx, "SELECT count(*) FROM whatsmeow_lid_map WHERE pn=$1", pn.User).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d rows for the pn (%v), want 1", n, err)
		}
	})
}

// TestNoLIDIsRemembered: a number found without a LID is not looked up
// again (a row stored behind the map's back stays unseen for a while), and
// the session's own write of its LID is seen at once.
func TestNoLIDIsRemembered(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, url string) {
		ctx := context.Background()
		ds, maps := openLIDMaps(t, url)
		pn := types.NewJID("15550402", types.DefaultUserServer)
		pnDev := types.JID{User: pn.User, Server: pn.Server, Device: 3}
		lid := types.NewJID("900003", types.HiddenUserServer)
		dev := ds.NewDevice()
		maps.attach(dev)
		got, err := dev.LIDs.GetManyLIDsForPNs(ctx, []types.JID{pn, pnDev})
		if err != nil || len(got) != 0 {
			t.Fatalf("no LID yet: %v %v", got, err)
		}
		// Stored elsewhere (another session's map): not asked for again.
		if _, err := ds.DB().ExecContext(ctx, "INSERT INTO whatsmeow_lid_map (lid, pn) VALUES ($1, $2)", lid.User, pn.User); err != nil {
			t.Fatal(err)
		}
		if got, err := dev.LIDs.GetLIDForPN(ctx, pn); err != nil || !got.IsEmpty() {
			t.Fatalf("remembered none: %v %v", got, err)
		}
		// This session's own write is seen at once, for every device of the number.
		if err := dev.LIDs.PutLIDMapping(ctx, lid, pn); err != nil {
			t.Fatal(err)
		}
		got, err = dev.LIDs.GetManyLIDsForPNs(ctx, []types.JID{pn, pnDev})
		if err != nil || got[pn].User != lid.User || got[pnDev].User != lid.User || got[pnDev].Device != 3 {
			t.Fatalf("after own write: %v %v", got, err)
		}
	})
}

// TestOwnLIDKnown: a device loaded in bulk with its own pair stored logs in
// without touching the database for that pair (a cancelled context would
// fail any query); another pair still goes to the database.
func TestOwnLIDKnown(t *testing.T) {
	ctx := context.Background()
	ds, maps := openLIDMaps(t, devstoretest.SQLiteURL(t))
	dev := ds.NewDevice()
	dev.LIDs = devstore.StoredOwnLID{LIDStore: dev.LIDs, LID: "900003", PN: "15550402"}
	maps.attach(dev)
	done, cancel := context.WithCancel(ctx)
	cancel()
	own := types.NewJID("900003", types.HiddenUserServer)
	pn := types.NewJID("15550402", types.DefaultUserServer)
	if err := dev.LIDs.PutLIDMapping(done, own, pn); err != nil {
		t.Fatalf("own pair: %v, want no database access", err)
	}
	if err := dev.LIDs.PutLIDMapping(done, types.NewJID("900004", types.HiddenUserServer), pn); err == nil {
		t.Fatal("another pair was not written to the database")
	}
}

// openLIDMaps opens the device store at url (closed with the test) and its
// LID maps.
func openLIDMaps(t *testing.T, url string) (*devstore.Store, *lidMaps) {
	t.Helper()
	ds, err := devstore.Open(context.Background(), url, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ds.Close() })
	maps, err := newLIDMaps(ds)
	if err != nil {
		t.Fatal(err)
	}
	return ds, maps
}
