package secretbox_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/shared/secretbox"
)

func newKey(t *testing.T) string {
	t.Helper()
	k, err := secretbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newBox(t *testing.T, cfg secretbox.Config) *secretbox.Box {
	t.Helper()
	b, err := secretbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	b := newBox(t, secretbox.Config{Key: newKey(t)})
	plain := []byte("hunter2-webhook-secret")
	sealed, err := b.Seal(plain, []byte("t.s1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, plain) || !secretbox.IsSealed(sealed) {
		t.Fatalf("sealed value leaks plaintext or lacks the marker: %q", sealed)
	}
	got, err := b.Open(sealed, []byte("t.s1"))
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open = %q, %v", got, err)
	}
	// Bound to the record: another record's id does not open it.
	if _, err := b.Open(sealed, []byte("t.s2")); !errors.Is(err, secretbox.ErrCorrupt) {
		t.Fatalf("open with other ad: %v, want ErrCorrupt", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := b.Open(sealed, []byte("t.s1")); !errors.Is(err, secretbox.ErrCorrupt) {
		t.Fatalf("open tampered: %v, want ErrCorrupt", err)
	}
	// Old plaintext reads keep working.
	if got, err := b.Open([]byte(`{"a":1}`), nil); err != nil || string(got) != `{"a":1}` {
		t.Fatalf("plaintext passthrough = %q, %v", got, err)
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := newKey(t), newKey(t)
	oldBox := newBox(t, secretbox.Config{Key: oldKey})
	sealed, _ := oldBox.SealString("proxy-pass", "t.s1/proxy")

	rotated := newBox(t, secretbox.Config{Key: newKey, Previous: []string{oldKey}})
	if got, err := rotated.OpenString(sealed, "t.s1/proxy"); err != nil || got != "proxy-pass" {
		t.Fatalf("previous key open = %q, %v", got, err)
	}
	if !rotated.NeedsResealString(sealed) {
		t.Fatal("value sealed with the previous key should need a reseal")
	}
	resealed, _ := rotated.SealString("proxy-pass", "t.s1/proxy")
	if rotated.NeedsResealString(resealed) {
		t.Fatal("value sealed with the current key needs no reseal")
	}
	// Without the old key the value is refused, never returned garbled.
	only := newBox(t, secretbox.Config{Key: newKey})
	if _, err := only.OpenString(sealed, "t.s1/proxy"); !errors.Is(err, secretbox.ErrUnknownKey) {
		t.Fatalf("unknown key: %v", err)
	}
	if rotated.KeyID() == oldBox.KeyID() || len(rotated.KeyID()) != 8 {
		t.Fatalf("key ids %q %q", rotated.KeyID(), oldBox.KeyID())
	}
}

func TestNilBoxIsPassthrough(t *testing.T) {
	b, err := secretbox.New(secretbox.Config{})
	if err != nil || b != nil || b.Enabled() {
		t.Fatalf("New(empty) = %v, %v; want nil box", b, err)
	}
	if s, _ := b.SealString("secret", "ad"); s != "secret" {
		t.Fatalf("nil seal = %q", s)
	}
	sealed, _ := newBox(t, secretbox.Config{Key: newKey(t)}).SealString("secret", "ad")
	if _, err := b.OpenString(sealed, "ad"); !errors.Is(err, secretbox.ErrNoKey) {
		t.Fatalf("nil box open sealed: %v, want ErrNoKey", err)
	}
}

func TestBadKeys(t *testing.T) {
	for _, k := range []string{"short", "AAAA", strings.Repeat("A", 44) + "!"} {
		if _, err := secretbox.New(secretbox.Config{Key: k}); !errors.Is(err, secretbox.ErrBadKey) {
			t.Errorf("key %q: %v, want ErrBadKey", k, err)
		}
	}
	if _, err := secretbox.New(secretbox.Config{Previous: []string{newKey(t)}}); err == nil {
		t.Error("previous keys without a current key accepted")
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	k1, created, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	os.Chmod(path, 0o644)
	k2, created, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil || created || k1 != k2 {
		t.Fatalf("reload: %v %v same=%v", created, err, k1 == k2)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("key file not tightened: %v", st.Mode().Perm())
	}
}
