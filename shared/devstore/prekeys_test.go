package devstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap/zaptest"
	"golang.org/x/crypto/curve25519"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
)

// saveNew saves dev as pairing does, under jid.
func saveNew(ctx context.Context, dev *store.Device, raw string) error {
	jid, err := types.ParseJID(raw)
	if err != nil {
		return err
	}
	dev.ID = &jid
	dev.Account = &waAdv.ADVSignedDeviceIdentity{
		Details: []byte{1}, AccountSignature: make([]byte, 64), AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64),
	}
	return dev.Save(ctx)
}

// TestPairedDeviceStores: with and without a master key, a device saved by
// pairing keeps the LID map its caller gave it, and generates its pre-keys
// (in one transaction) with distinct ids, also while other devices do so at
// the same time, and continues the ids after a load.
func TestPairedDeviceStores(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, url string) {
		for _, sealed := range []bool{false, true} {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s, err := devstore.Open(ctx, url, zaptest.NewLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if sealed {
				s.SetBox(testBox(t))
			}
			const n = 8
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					own := sqlstore.NewCachedLIDMap(nil)
					dev := s.NewDevice()
					dev.LIDs = own
					if err := saveNew(ctx, dev, fmt.Sprintf("15550%d%d:1@s.whatsapp.net", btoi(sealed), i)); err != nil {
						errs <- err
						return
					}
					if dev.LIDs != own {
						errs <- fmt.Errorf("sealed=%v: the save replaced the device's own LID map", sealed)
						return
					}
					keys, err := dev.PreKeys.GetOrGenPreKeys(ctx, 50)
					if err != nil {
						errs <- err
						return
					}
					seen := map[uint32]bool{}
					for _, k := range keys {
						if k == nil || seen[k.KeyID] {
							errs <- fmt.Errorf("sealed=%v: pre-key missing or repeated", sealed)
							return
						}
						seen[k.KeyID] = true
						// Generated in a batch and stored in one statement:
						// each public key is its private key's, and the
						// stored key is the one returned.
						if want, err := curve25519.X25519(k.Priv[:], curve25519.Basepoint); err != nil || [32]byte(want) != *k.Pub {
							errs <- fmt.Errorf("sealed=%v: pre-key %d: public key is not the private key's", sealed, k.KeyID)
							return
						}
						stored, err := dev.PreKeys.GetPreKey(ctx, k.KeyID)
						if err != nil || stored == nil || *stored.Priv != *k.Priv || *stored.Pub != *k.Pub {
							errs <- fmt.Errorf("sealed=%v: pre-key %d stored differently: %v", sealed, k.KeyID, err)
							return
						}
					}
					if err := dev.PreKeys.MarkPreKeysAsUploaded(ctx, keys[len(keys)-1].KeyID); err != nil {
						errs <- err
						return
					}
					errs <- s.Link(ctx, "t1", fmt.Sprintf("pk%v%d", sealed, i), *dev.ID)
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.DeviceFor(ctx, "t1", fmt.Sprintf("pk%v%d", sealed, 3))
			if err != nil || got == nil {
				t.Fatalf("DeviceFor: %v", err)
			}
			more, err := got.PreKeys.GetOrGenPreKeys(ctx, 50)
			if err != nil || len(more) != 50 || more[0].KeyID != 51 {
				t.Fatalf("sealed=%v: next batch of %d keys: %v", sealed, len(more), err)
			}
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
