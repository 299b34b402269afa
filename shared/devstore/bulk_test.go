package devstore_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
)

// TestDevicesFor: the bulk load returns, for more sessions than one query
// reads and across tenants, the devices DeviceFor returns one by one (keys,
// account, names, the same stores), sealed or not, and leaves out sessions
// without a usable device.
func TestDevicesFor(t *testing.T) {
	for _, sealed := range []bool{false, true} {
		t.Run(fmt.Sprintf("sealed=%v", sealed), func(t *testing.T) {
			devstoretest.ForEach(t, func(t *testing.T, url string) {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				s, err := devstore.Open(ctx, url, zaptest.NewLogger(t))
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if sealed {
					s.SetBox(testBox(t))
				}
				var refs []devstore.SessionRef
				link := func(tenant, session, raw string) {
					jid, _ := types.ParseJID(raw)
					dev := s.NewDevice()
					dev.ID = &jid
					dev.PushName = "name " + session
					dev.Account = fakeAccount()
					if err := dev.Save(ctx); err != nil {
						t.Fatal(err)
					}
					if err := s.Link(ctx, tenant, session, jid); err != nil {
						t.Fatal(err)
					}
					refs = append(refs, devstore.SessionRef{Tenant: tenant, Session: session})
				}
				// 250 sessions in t1: two queries, the second one short.
				for i := range 250 {
					link("t1", fmt.Sprintf("s%d", i), fmt.Sprintf("1555%07d:1@s.whatsapp.net", i))
				}
				link("t2", "s0", "15559999999:2@s.whatsapp.net")
				// Two devices with a LID, one of them with its pair stored.
				for i, store := range []bool{true, false} {
					jid, _ := types.ParseJID(fmt.Sprintf("1555777000%d:1@s.whatsapp.net", i))
					dev := s.NewDevice()
					dev.ID, dev.Account = &jid, fakeAccount()
					dev.LID = types.NewJID(fmt.Sprintf("7700%d", i), types.HiddenUserServer)
					if err := dev.Save(ctx); err != nil {
						t.Fatal(err)
					}
					if store {
						if err := s.Container().LIDMap.PutLIDMapping(ctx, dev.LID, jid.ToNonAD()); err != nil {
							t.Fatal(err)
						}
					}
					id := fmt.Sprintf("lid%d", i)
					if err := s.Link(ctx, "t2", id, jid); err != nil {
						t.Fatal(err)
					}
					refs = append(refs, devstore.SessionRef{Tenant: "t2", Session: id})
				}
				// No link; a link whose device row is gone.
				refs = append(refs, devstore.SessionRef{Tenant: "t2", Session: "none"})
				gone, _ := types.ParseJID("15558888888:3@s.whatsapp.net")
				if err := s.Link(ctx, "t2", "gone", gone); err != nil {
					t.Fatal(err)
				}
				refs = append(refs, devstore.SessionRef{Tenant: "t2", Session: "gone"})

				got, err := s.DevicesFor(ctx, refs)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 253 {
					t.Fatalf("DevicesFor returned %d devices, want 253", len(got))
				}
				for i, want := range []bool{true, false} {
					own, ok := got[devstore.SessionRef{Tenant: "t2", Session: fmt.Sprintf("lid%d", i)}].LIDs.(devstore.StoredOwnLID)
					if ok != want || (ok && (own.LID != "77000" || own.PN != "15557770000")) {
						t.Errorf("lid%d: own pair marked %v (%+v), want %v", i, ok, own, want)
					}
				}
				for _, r := range refs {
					one, err := s.DeviceFor(ctx, r.Tenant, r.Session)
					if err != nil {
						t.Fatal(err)
					}
					if one == nil {
						if got[r] != nil {
							t.Errorf("%v: bulk load has a device, DeviceFor none", r)
						}
						continue
					}
					sameDevice(t, r, got[r], one)
				}
			})
		})
	}
}

// TestDevicesForSkipsMissingKeys: a sealed device whose sealed row is gone
// is left out of the bulk load, and DeviceFor says why.
func TestDevicesForSkipsMissingKeys(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, url string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s, err := devstore.Open(ctx, url, zaptest.NewLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.SetBox(testBox(t))
		dev := pair(ctx, t, s, "15550701:1@s.whatsapp.net", "lost")
		if _, err := s.DB().ExecContext(ctx, "DELETE FROM switchboard_device_keys WHERE device_jid=$1", dev.ID.String()); err != nil {
			t.Fatal(err)
		}
		ref := devstore.SessionRef{Tenant: "t1", Session: "lost"}
		got, err := s.DevicesFor(ctx, []devstore.SessionRef{ref})
		if err != nil || len(got) != 0 {
			t.Fatalf("DevicesFor = %v, %v; want nothing", got, err)
		}
		if _, err := s.DeviceFor(ctx, "t1", "lost"); err == nil {
			t.Fatal("DeviceFor of a device without its keys: no error")
		}
	})
}

// sameDevice compares what a restart needs of two loads of one device.
func sameDevice(t *testing.T, r devstore.SessionRef, got, want *store.Device) {
	t.Helper()
	if got == nil {
		t.Errorf("%v: missing from the bulk load", r)
		return
	}
	if *got.ID != *want.ID || got.LID != want.LID || got.RegistrationID != want.RegistrationID ||
		got.PushName != want.PushName || got.Platform != want.Platform || got.BusinessName != want.BusinessName {
		t.Errorf("%v: device fields differ: %+v vs %+v", r, got, want)
	}
	pairs := func(d *store.Device) [][]byte {
		return [][]byte{d.NoiseKey.Priv[:], d.NoiseKey.Pub[:], d.IdentityKey.Priv[:], d.IdentityKey.Pub[:],
			d.SignedPreKey.Priv[:], d.SignedPreKey.Pub[:], d.SignedPreKey.Signature[:], d.AdvSecretKey,
			d.Account.Details, d.Account.AccountSignature, d.Account.AccountSignatureKey, d.Account.DeviceSignature}
	}
	g, w := pairs(got), pairs(want)
	for i := range w {
		if !bytes.Equal(g[i], w[i]) {
			t.Errorf("%v: key material %d differs", r, i)
		}
	}
	if got.SignedPreKey.KeyID != want.SignedPreKey.KeyID {
		t.Errorf("%v: signed pre-key id %d, want %d", r, got.SignedPreKey.KeyID, want.SignedPreKey.KeyID)
	}
	if !got.Initialized || got.Log == nil {
		t.Errorf("%v: not initialised", r)
	}
	for i, st := range [][2]any{
		{got.Container, want.Container}, {got.Sessions, want.Sessions}, {got.Identities, want.Identities},
		{got.PreKeys, want.PreKeys}, {got.SenderKeys, want.SenderKeys}, {got.AppStateKeys, want.AppStateKeys},
		{got.MsgSecrets, want.MsgSecrets},
	} {
		if fmt.Sprintf("%T", st[0]) != fmt.Sprintf("%T", st[1]) {
			t.Errorf("%v: store %d is %T, DeviceFor's %T", r, i, st[0], st[1])
		}
	}
}

// fakeAccount is a device's signed identity as pairing sets it, with
// distinct bytes so that a mix-up shows.
func fakeAccount() *waAdv.ADVSignedDeviceIdentity {
	return &waAdv.ADVSignedDeviceIdentity{
		Details: []byte{1, 2, 3}, AccountSignature: bytes.Repeat([]byte{4}, 64),
		AccountSignatureKey: bytes.Repeat([]byte{5}, 32), DeviceSignature: bytes.Repeat([]byte{6}, 64),
	}
}

// TestDevicesForPreKeyCount: a device loaded in bulk answers its first
// UploadedPreKeyCount from the count loaded with it (no query: rows deleted
// behind its back do not show), counted up to whatsmeow.MinPreKeyCount,
// exact below it; later ones from the database, and a pre-key change before
// the first drops the loaded count.
func TestDevicesForPreKeyCount(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, url string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s, err := devstore.Open(ctx, url, zaptest.NewLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.SetBox(testBox(t))
		var refs []devstore.SessionRef
		for i, n := range []uint32{7, 0, 3} {
			id := fmt.Sprintf("pk%d", i)
			dev := pair(ctx, t, s, fmt.Sprintf("1555070%d:1@s.whatsapp.net", i), id)
			if n > 0 {
				keys, err := dev.PreKeys.GetOrGenPreKeys(ctx, n)
				if err != nil {
					t.Fatal(err)
				}
				if err := dev.PreKeys.MarkPreKeysAsUploaded(ctx, keys[len(keys)-1].KeyID); err != nil {
					t.Fatal(err)
				}
			}
			refs = append(refs, devstore.SessionRef{Tenant: "t1", Session: id})
		}
		var few *store.Device // 3 uploaded, below the minimum
		load := func() (*store.Device, *store.Device) {
			got, err := s.DevicesFor(ctx, refs)
			if err != nil || len(got) != 3 {
				t.Fatalf("DevicesFor = %d devices, %v", len(got), err)
			}
			few = got[refs[2]]
			return got[refs[0]], got[refs[1]]
		}
		count := func(dev *store.Device) int {
			t.Helper()
			n, err := dev.PreKeys.UploadedPreKeyCount(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		a, b := load()
		if _, err := s.DB().ExecContext(ctx, "DELETE FROM whatsmeow_pre_keys WHERE jid=$1", a.ID.String()); err != nil {
			t.Fatal(err)
		}
		if n := count(a); n != whatsmeow.MinPreKeyCount {
			t.Errorf("first count of 7 uploaded = %d, want the loaded count capped at %d", n, whatsmeow.MinPreKeyCount)
		}
		if n := count(few); n != 3 {
			t.Errorf("first count of 3 uploaded = %d, want 3", n)
		}
		if n := count(a); n != 0 {
			t.Errorf("second count = %d, want the database's 0", n)
		}
		if n := count(b); n != 0 {
			t.Errorf("count of a device without pre-keys = %d", n)
		}

		// A change before the first question: the database answers.
		_, b = load()
		k, err := b.PreKeys.GetOrGenPreKeys(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.PreKeys.MarkPreKeysAsUploaded(ctx, k[len(k)-1].KeyID); err != nil {
			t.Fatal(err)
		}
		if n := count(b); n != 3 {
			t.Errorf("count after an upload = %d, want 3", n)
		}
	})
}
