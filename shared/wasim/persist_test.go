package wasim

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStateFile: a simulator with a StateFile remembers its accounts and
// devices (and root key) across a restart, and refuses a corrupt file.
func TestStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wasim-state.json")
	cfg := Config{WSAddr: "127.0.0.1:0", ControlAddr: "127.0.0.1:0", StateFile: path}
	s1, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s1.Start(ctx); err != nil {
		t.Fatal(err)
	}
	first, err := s1.RegisterPairedDevice("+15550188001", "Persisted", DeviceKeys{NoisePub: [32]byte{1}, IdentityPub: [32]byte{2}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", st, err)
	}

	s2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s2.RootPublicKey() != s1.RootPublicKey() {
		t.Error("root key not kept")
	}
	s2.mu.Lock()
	dev := s2.deviceLocked(first.JID)
	s2.mu.Unlock()
	if dev == nil || dev.noisePub != [32]byte{1} || dev.acct.pushName != "Persisted" {
		t.Fatalf("device not restored: %+v", dev)
	}
	second, err := s2.RegisterPairedDevice("+15550188001", "", DeviceKeys{})
	if err != nil {
		t.Fatal(err)
	}
	if second.JID.Device != first.JID.Device+1 || second.LID.User != first.LID.User {
		t.Fatalf("after restart: %v / %v, want the next device of the same account (%v)", second.JID, second.LID, first.JID)
	}

	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg); err == nil {
		t.Fatal("a corrupt state file was accepted")
	}
}

// TestStateSavedOnlyAfterChanges: the persist loop builds no snapshot of a
// registry nobody held since the last one, and still saves every change.
func TestStateSavedOnlyAfterChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wasim-state.json")
	s, err := New(Config{WSAddr: "127.0.0.1:0", ControlAddr: "127.0.0.1:0", StateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RegisterPairedDevice("+15550188002", "One", DeviceKeys{}); err != nil {
		t.Fatal(err)
	}
	if err := s.saveState(); err != nil {
		t.Fatal(err)
	}
	built := s.stats.snapshots.Load()
	for range 3 {
		if err := s.saveState(); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.stats.snapshots.Load(); got != built {
		t.Fatalf("%d snapshots of an untouched registry, want none", got-built)
	}
	if _, err := s.RegisterPairedDevice("+15550188003", "Two", DeviceKeys{}); err != nil {
		t.Fatal(err)
	}
	if err := s.saveState(); err != nil {
		t.Fatal(err)
	}
	s2, err := New(Config{WSAddr: "127.0.0.1:0", ControlAddr: "127.0.0.1:0", StateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	s2.mu.Lock()
	_, ok := s2.accounts["15550188003"]
	s2.mu.Unlock()
	if !ok {
		t.Fatal("the change after the skipped saves was not written")
	}
}
