package devstore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/secretbox"
)

func testBox(t *testing.T) *secretbox.Box {
	t.Helper()
	k, _ := secretbox.GenerateKey()
	b, err := secretbox.New(secretbox.Config{Key: k})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// privateKeys is the key material a device must never leave in plaintext.
func privateKeys(dev *store.Device) [][]byte {
	return [][]byte{dev.NoiseKey.Priv[:], dev.IdentityKey.Priv[:], dev.SignedPreKey.Priv[:], dev.AdvSecretKey}
}

// pair saves a new device of s as pairing does and links it to session.
func pair(ctx context.Context, t *testing.T, s *devstore.Store, raw, session string) *store.Device {
	t.Helper()
	jid, _ := types.ParseJID(raw)
	dev := s.NewDevice()
	dev.ID = &jid
	dev.Account = &waAdv.ADVSignedDeviceIdentity{
		Details: []byte{1}, AccountSignature: make([]byte, 64), AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64),
	}
	if err := dev.Save(ctx); err != nil {
		t.Fatalf("save: %v", err)
	}
	if !dev.Initialized || dev.Sessions == nil {
		t.Fatal("a saved device must be initialised")
	}
	if err := s.Link(ctx, "t1", session, jid); err != nil {
		t.Fatal(err)
	}
	return dev
}

// TestDeviceKeysSealed: with a master key, the device's private keys are
// nowhere in the SQLite files (nor in Postgres' row), and they load back.
func TestDeviceKeysSealed(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, url string) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		box := testBox(t)
		s, err := devstore.Open(ctx, url, zaptest.NewLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		s.SetBox(box)
		dev := pair(ctx, t, s, "15550201:1@s.whatsapp.net", "sealed")
		want := privateKeys(dev)

		// The stored row holds no key (Postgres and SQLite alike).
		raw, err := s.Container().GetDevice(ctx, *dev.ID)
		if err != nil || raw == nil {
			t.Fatalf("raw device: %v", err)
		}
		for i, k := range privateKeys(raw) {
			if bytes.Equal(k, want[i]) {
				t.Errorf("whatsmeow_device holds private key %d in plaintext", i)
			}
		}
		got, err := s.DeviceFor(ctx, "t1", "sealed")
		if err != nil || got == nil {
			t.Fatalf("DeviceFor: %v", err)
		}
		for i, k := range privateKeys(got) {
			if !bytes.Equal(k, want[i]) {
				t.Errorf("private key %d did not load back", i)
			}
		}
		// A push name change saves again through the sealed container.
		got.PushName = "renamed"
		if err := got.Save(ctx); err != nil {
			t.Fatal(err)
		}
		// Without the key the device does not load (never with zero keys).
		s.SetBox(nil)
		if _, err := s.DeviceFor(ctx, "t1", "sealed"); !errors.Is(err, secretbox.ErrNoKey) {
			t.Fatalf("keyless load: %v, want ErrNoKey", err)
		}
		s.SetBox(box)
		if err := s.Forget(ctx, "t1", "sealed"); err != nil {
			t.Fatal(err)
		}
		s.Close()

		if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
			grepFiles(t, filepath.Dir(path), want)
		}
	})
}

// TestDeviceKeysMigrate: a device stored before the master key was set is
// sealed (and blanked) on its next load.
func TestDeviceKeysMigrate(t *testing.T) {
	ctx := context.Background()
	url := devstoretest.SQLiteURL(t)
	s, err := devstore.Open(ctx, url, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	dev := pair(ctx, t, s, "15550202:1@s.whatsapp.net", "old")
	want := privateKeys(dev)
	s.SetBox(testBox(t))
	got, err := s.DeviceFor(ctx, "t1", "old")
	if err != nil || got == nil || !bytes.Equal(got.NoiseKey.Priv[:], want[0]) {
		t.Fatalf("migrating load: %v", err)
	}
	raw, _ := s.Container().GetDevice(ctx, *dev.ID)
	if bytes.Equal(raw.IdentityKey.Priv[:], want[1]) {
		t.Fatal("legacy plaintext key left in whatsmeow_device")
	}
	again, err := s.DeviceFor(ctx, "t1", "old")
	if err != nil || !bytes.Equal(again.IdentityKey.Priv[:], want[1]) {
		t.Fatalf("load after migration: %v", err)
	}
	// Rotation: loaded with a new key and the old one as previous, the
	// keys are resealed, after which the new key alone opens them.
	oldKey, newKey := mustKey(t), mustKey(t)
	s.SetBox(boxOf(t, oldKey))
	if err := again.Save(ctx); err != nil { // sealed with oldKey (upsert)
		t.Fatal(err)
	}
	s.SetBox(boxOf(t, newKey, oldKey))
	if _, err := s.DeviceFor(ctx, "t1", "old"); err != nil {
		t.Fatal(err)
	}
	s.SetBox(boxOf(t, newKey))
	if got, err := s.DeviceFor(ctx, "t1", "old"); err != nil || !bytes.Equal(got.NoiseKey.Priv[:], want[0]) {
		t.Fatalf("after rotation: %v", err)
	}
	s.Close()
	// SQLite keeps deleted pages until they are reused or vacuumed, so the
	// files are not grepped here; new devices never reach the file.
}

// grepFiles fails when any file under dir contains one of needles.
func grepFiles(t *testing.T, dir string, needles [][]byte) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		for i, n := range needles {
			if bytes.Contains(b, n) {
				t.Errorf("%s contains private key %d", e.Name(), i)
			}
		}
	}
}

func mustKey(t *testing.T) string {
	t.Helper()
	k, err := secretbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func boxOf(t *testing.T, key string, previous ...string) *secretbox.Box {
	t.Helper()
	b, err := secretbox.New(secretbox.Config{Key: key, Previous: previous})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSignalStateSealed: Signal sessions, sender keys and app-state keys
// of a device are stored sealed and read back in plaintext.
func TestSignalStateSealed(t *testing.T) {
	ctx := context.Background()
	s, err := devstore.Open(ctx, devstoretest.SQLiteURL(t), zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetBox(testBox(t))
	dev := pair(ctx, t, s, "15550203:1@s.whatsapp.net", "signal")
	ratchet, sk, ask := []byte("ratchet-state-4717"), []byte("sender-key-4718"), []byte("app-state-key-4719")
	if err := dev.Sessions.PutSession(ctx, "15550999.0:0", ratchet); err != nil {
		t.Fatal(err)
	}
	if err := dev.SenderKeys.PutSenderKey(ctx, "g@g.us", "u", sk); err != nil {
		t.Fatal(err)
	}
	if err := dev.AppStateKeys.PutAppStateSyncKey(ctx, []byte{1}, store.AppStateSyncKey{Data: ask, Fingerprint: []byte{2}}); err != nil {
		t.Fatal(err)
	}
	// Through a freshly loaded device: plaintext.
	got, err := s.DeviceFor(ctx, "t1", "signal")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := got.Sessions.GetSession(ctx, "15550999.0:0"); !bytes.Equal(b, ratchet) {
		t.Errorf("session = %q", b)
	}
	if m, _ := got.Sessions.GetManySessions(ctx, []string{"15550999.0:0"}); !bytes.Equal(m["15550999.0:0"], ratchet) {
		t.Errorf("many sessions = %q", m)
	}
	if b, _ := got.SenderKeys.GetSenderKey(ctx, "g@g.us", "u"); !bytes.Equal(b, sk) {
		t.Errorf("sender key = %q", b)
	}
	if k, _ := got.AppStateKeys.GetAppStateSyncKey(ctx, []byte{1}); k == nil || !bytes.Equal(k.Data, ask) {
		t.Errorf("app state key = %v", k)
	}
	// Through whatsmeow's own stores: sealed.
	raw, _ := s.Container().GetDevice(ctx, *dev.ID)
	if b, _ := raw.Sessions.GetSession(ctx, "15550999.0:0"); bytes.Contains(b, ratchet) || !secretbox.IsSealed(b) {
		t.Errorf("stored session not sealed: %q", b)
	}
	if b, _ := raw.SenderKeys.GetSenderKey(ctx, "g@g.us", "u"); bytes.Contains(b, sk) {
		t.Errorf("stored sender key not sealed")
	}
	if k, _ := raw.AppStateKeys.GetAppStateSyncKey(ctx, []byte{1}); k == nil || bytes.Contains(k.Data, ask) {
		t.Errorf("stored app state key not sealed")
	}
}
