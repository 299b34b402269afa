package devstore_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
)

// TestIdentityCacheIsExact drives a linked device's identity store through
// random writes, deletes, a PN→LID migration and rolled-back decryption
// transactions, and after every step compares each answer of the cached
// store with the database's own (an uncached copy of the device).
func TestIdentityCacheIsExact(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, url string) {
		for _, sealed := range []bool{false, true} {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s, err := devstore.Open(ctx, url, zaptest.NewLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			session := "plain"
			if sealed {
				s.SetBox(testBox(t))
				session = "sealed"
			}
			raw := "15550001111.0:1@s.whatsapp.net"
			if sealed {
				raw = "15550002222.0:1@s.whatsapp.net"
			}
			pair(ctx, t, s, raw, session)
			dev, err := s.DeviceFor(ctx, "t1", session)
			if err != nil || dev == nil {
				t.Fatalf("device: %v", err)
			}
			jid, _ := types.ParseJID(raw)
			ref, err := s.Container().GetDevice(ctx, jid) // whatsmeow's store, no cache
			if err != nil || ref == nil {
				t.Fatalf("reference device: %v", err)
			}

			pn := types.NewJID("15557770000", types.DefaultUserServer)
			lid := types.NewJID("880000", types.HiddenUserServer)
			addrs := []string{
				pn.SignalAddressUser() + ":0", pn.SignalAddressUser() + ":3",
				lid.SignalAddressUser() + ":0", lid.SignalAddressUser() + ":3", "15559990000:0",
			}
			keys := [][32]byte{{1}, {2}}
			check := func(step string) {
				t.Helper()
				for _, a := range addrs {
					for _, k := range keys {
						got, err1 := dev.Identities.IsTrustedIdentity(ctx, a, k)
						want, err2 := ref.Identities.IsTrustedIdentity(ctx, a, k)
						if err1 != nil || err2 != nil || got != want {
							t.Fatalf("after %s: trusted(%s, %d) = %v (%v), database says %v (%v)", step, a, k[0], got, err1, want, err2)
						}
					}
				}
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range 400 {
				a, k := addrs[rng.IntN(len(addrs))], keys[rng.IntN(len(keys))]
				var step string
				switch op := rng.IntN(20); {
				case op < 10:
					step = "put"
					err = dev.Identities.PutIdentity(ctx, a, k)
				case op < 12:
					step = "delete"
					err = dev.Identities.DeleteIdentity(ctx, a)
				case op < 13:
					step = "delete all"
					err = dev.Identities.DeleteAllIdentities(ctx, pn.User)
				case op < 14:
					step = "migrate"
					err = dev.Sessions.MigratePNToLID(ctx, pn, lid)
				case op < 17:
					step = "rolled-back decryption"
					err = dev.EventBuffer.DoDecryptionTxn(ctx, func(ctx context.Context) error {
						if err := dev.Identities.PutIdentity(ctx, a, k); err != nil {
							return err
						}
						if _, err := dev.Identities.IsTrustedIdentity(ctx, a, k); err != nil {
							return err
						}
						return errRollback
					})
					if errors.Is(err, errRollback) {
						err = nil
					}
				default:
					step = "committed decryption"
					err = dev.EventBuffer.DoDecryptionTxn(ctx, func(ctx context.Context) error {
						return dev.Identities.PutIdentity(ctx, a, k)
					})
				}
				if err != nil {
					t.Fatalf("step %d %s: %v", i, step, err)
				}
				check(step)
			}
		}
	})
}

var errRollback = errors.New("decryption failed")
