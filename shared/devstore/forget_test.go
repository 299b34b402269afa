package devstore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
)

// TestForgetAndSweepOrphans: Forget deletes the linked device's keys
// whatever whatsmeow did, and the sweep deletes only devices no session
// links to.
func TestForgetAndSweepOrphans(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, url string) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		s, err := devstore.Open(ctx, url, zaptest.NewLogger(t))
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer s.Close()

		linked := saveDevice(ctx, t, s, "15550101:1@s.whatsapp.net")
		gone := saveDevice(ctx, t, s, "15550102:1@s.whatsapp.net")
		orphan := saveDevice(ctx, t, s, "15550103:1@s.whatsapp.net")
		for sess, jid := range map[string]types.JID{"keep": linked, "bye": gone} {
			if err := s.Link(ctx, "t1", sess, jid); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Forget(ctx, "t1", "bye"); err != nil {
			t.Fatalf("forget: %v", err)
		}
		if err := s.Forget(ctx, "t1", "bye"); err != nil {
			t.Fatalf("forget twice: %v", err)
		}
		if dev, _ := s.DeviceFor(ctx, "t1", "bye"); dev != nil {
			t.Fatal("forgotten session still has a device")
		}
		orphans, err := s.Orphans(ctx)
		if err != nil || len(orphans) != 1 || orphans[0] != orphan.String() {
			t.Fatalf("orphans = %v, %v; want [%s]", orphans, err, orphan)
		}
		n, err := s.SweepOrphans(ctx, 10*time.Millisecond)
		if err != nil || n != 1 {
			t.Fatalf("sweep = %d, %v; want 1", n, err)
		}
		all, err := s.Container().GetAllDevices(ctx)
		if err != nil || len(all) != 1 || *all[0].ID != linked {
			t.Fatalf("devices after sweep = %v, %v; want only %s", all, err, linked)
		}
	})
}

// TestSweepSparesADeviceLinkedDuringGrace: a device saved by pairing is
// linked a moment later; the sweep must not delete it meanwhile.
func TestSweepSparesADeviceLinkedDuringGrace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := devstore.Open(ctx, devstoretest.SQLiteURL(t), zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	jid := saveDevice(ctx, t, s, "15550104:1@s.whatsapp.net")
	done := make(chan int)
	go func() {
		n, _ := s.SweepOrphans(ctx, 500*time.Millisecond)
		done <- n
	}()
	if err := s.Link(ctx, "t1", "pairing", jid); err != nil {
		t.Fatal(err)
	}
	if n := <-done; n != 0 {
		t.Fatalf("sweep deleted %d devices linked during the grace", n)
	}
	wantDevice(ctx, t, s, "t1", "pairing", jid)
}

// TestSQLiteFilesArePrivate: the database and its WAL files are 0600, and an
// existing 0644 database (older versions) is tightened on open.
func TestSQLiteFilesArePrivate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "old.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	s, err := devstore.Open(ctx, "sqlite:"+path, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	saveDevice(ctx, t, s, "15550105:1@s.whatsapp.net")
	entries, _ := os.ReadDir(dir)
	seen := 0
	for _, e := range entries {
		info, _ := e.Info()
		if strings.HasPrefix(e.Name(), "old.db") {
			seen++
			if info.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %04o, want 0600", e.Name(), info.Mode().Perm())
			}
		}
	}
	if seen < 2 { // the database and its -wal at least
		t.Errorf("only %d SQLite files found: %v", seen, entries)
	}
	s.Close()
	// A fresh database is created 0600 as well.
	fresh := filepath.Join(dir, "sub", "new.db")
	s2, err := devstore.Open(ctx, "sqlite:"+fresh, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if st, err := os.Stat(fresh); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("new database mode = %v, %v", st.Mode(), err)
	}
}
