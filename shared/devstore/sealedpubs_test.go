package devstore_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/util/keys"
	"go.uber.org/zap/zaptest"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
)

// TestSealedPublicKeys: a device loads with public keys that belong to its
// private keys, whether its sealed row carries them (written now) or not
// (sealed before they were kept).
func TestSealedPublicKeys(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, url string) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		box := testBox(t)
		s, err := devstore.Open(ctx, url, zaptest.NewLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.SetBox(box)
		dev := pair(ctx, t, s, "15550601:1@s.whatsapp.net", "pubs")
		check := func(what string) {
			t.Helper()
			got, err := s.DeviceFor(ctx, "t1", "pubs")
			if err != nil || got == nil {
				t.Fatalf("%s: DeviceFor: %v", what, err)
			}
			for i, kp := range []*keys.KeyPair{got.NoiseKey, got.IdentityKey, &got.SignedPreKey.KeyPair} {
				want := keys.NewKeyPairFromPrivateKey(*kp.Priv)
				if !bytes.Equal(kp.Pub[:], want.Pub[:]) || !bytes.Equal(kp.Priv[:], privateKeys(dev)[i]) {
					t.Errorf("%s: key pair %d does not match the device's", what, i)
				}
			}
		}
		check("with public keys")

		// The older row: private keys and ADV secret only.
		jid := dev.ID.String()
		old := bytes.Join(privateKeys(dev), nil)
		sealed, err := box.Seal(old, []byte("whatsmeow_device/"+jid))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB().ExecContext(ctx, "UPDATE switchboard_device_keys SET sealed=$1 WHERE device_jid=$2", sealed, jid); err != nil {
			t.Fatal(err)
		}
		check("without public keys")
	})
}
