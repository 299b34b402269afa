package devstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
)

func TestParseURL(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"", "mysql://x", "sqlite:", "sqlite:/tmp/x.db?cache=shared"} {
		if _, err := devstore.Open(ctx, u, zaptest.NewLogger(t)); !errors.Is(err, devstore.ErrUnsupportedURL) {
			t.Errorf("Open(%q) = %v, want ErrUnsupportedURL", u, err)
		}
	}
}

func TestStore(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, url string) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		s, err := devstore.Open(ctx, url, zaptest.NewLogger(t))
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer s.Close()

		t.Run("no link", func(t *testing.T) {
			dev, err := s.DeviceFor(ctx, "t1", "none")
			if err != nil || dev != nil {
				t.Fatalf("DeviceFor = %v, %v; want nil, nil", dev, err)
			}
			if err := s.Unlink(ctx, "t1", "none"); err != nil {
				t.Fatalf("unlink without link: %v", err)
			}
		})

		t.Run("link, relink, unlink", func(t *testing.T) {
			a := saveDevice(ctx, t, s, "15550001:1@s.whatsapp.net")
			b := saveDevice(ctx, t, s, "15550001:2@s.whatsapp.net")
			if err := s.Link(ctx, "t1", "s1", a); err != nil {
				t.Fatal(err)
			}
			// Same session id in another tenant is a different session.
			if dev, _ := s.DeviceFor(ctx, "t2", "s1"); dev != nil {
				t.Fatal("link leaked across tenants")
			}
			wantDevice(ctx, t, s, "t1", "s1", a)
			if err := s.Link(ctx, "t1", "s1", b); err != nil {
				t.Fatalf("relink: %v", err)
			}
			wantDevice(ctx, t, s, "t1", "s1", b)
			if err := s.Unlink(ctx, "t1", "s1"); err != nil {
				t.Fatal(err)
			}
			if dev, err := s.DeviceFor(ctx, "t1", "s1"); err != nil || dev != nil {
				t.Fatalf("after unlink: %v, %v", dev, err)
			}
		})

		t.Run("deleted device is no link", func(t *testing.T) {
			a := saveDevice(ctx, t, s, "15550002:1@s.whatsapp.net")
			if err := s.Link(ctx, "t1", "s2", a); err != nil {
				t.Fatal(err)
			}
			dev := wantDevice(ctx, t, s, "t1", "s2", a)
			if err := dev.Delete(ctx); err != nil {
				t.Fatal(err)
			}
			if dev, err := s.DeviceFor(ctx, "t1", "s2"); err != nil || dev != nil {
				t.Fatalf("after device delete: %v, %v", dev, err)
			}
		})

		t.Run("empty jid refused", func(t *testing.T) {
			if err := s.Link(ctx, "t1", "s3", types.EmptyJID); err == nil {
				t.Fatal("linked an empty jid")
			}
		})

		t.Run("reopen keeps links and upgrades nothing", func(t *testing.T) {
			a := saveDevice(ctx, t, s, "15550003:1@s.whatsapp.net")
			if err := s.Link(ctx, "t1", "s4", a); err != nil {
				t.Fatal(err)
			}
			s2, err := devstore.Open(ctx, url, zaptest.NewLogger(t))
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer s2.Close()
			wantDevice(ctx, t, s2, "t1", "s4", a)
		})
	})
}

// TestConcurrentOpen opens many stores on one fresh database at once, as a
// fleet of workers starting together does: the upgrade must run once and
// nobody may fail.
func TestConcurrentOpen(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, url string) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		const n = 6
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				s, err := devstore.Open(ctx, url, zaptest.NewLogger(t))
				if err != nil {
					errs <- err
					return
				}
				errs <- s.Close()
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})
}

func saveDevice(ctx context.Context, t *testing.T, s *devstore.Store, raw string) types.JID {
	t.Helper()
	jid, err := types.ParseJID(raw)
	if err != nil {
		t.Fatal(err)
	}
	dev := s.NewDevice()
	dev.ID = &jid
	// Set by pairing in real life.
	dev.Account = &waAdv.ADVSignedDeviceIdentity{
		Details: []byte{1}, AccountSignature: make([]byte, 64), AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64),
	}
	if err := dev.Save(ctx); err != nil {
		t.Fatalf("save device: %v", err)
	}
	return jid
}

func wantDevice(ctx context.Context, t *testing.T, s *devstore.Store, tenant, session string, jid types.JID) *store.Device {
	t.Helper()
	dev, err := s.DeviceFor(ctx, tenant, session)
	if err != nil {
		t.Fatal(err)
	}
	if dev == nil || dev.ID == nil || *dev.ID != jid {
		t.Fatalf("DeviceFor(%s/%s) = %v, want %s", tenant, session, dev, jid)
	}
	return dev
}
