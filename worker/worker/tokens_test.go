package worker

import (
	"bytes"
	"context"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"

	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
)

// TestPrivacyTokenCache: answers (a token or none) are kept, a token
// written behind the store's back is not seen meanwhile, and the session's
// own token or LID writes are seen at once.
func TestPrivacyTokenCache(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, url string) {
		ctx := context.Background()
		ds, maps := openLIDMaps(t, url)
		own, _ := types.ParseJID("15550499:7@s.whatsapp.net")
		dev := ds.NewDevice()
		dev.ID = &own
		dev.Account = &waAdv.ADVSignedDeviceIdentity{
			Details: []byte{1}, AccountSignature: make([]byte, 64), AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64),
		}
		if err := dev.Save(ctx); err != nil {
			t.Fatal(err)
		}
		maps.attach(dev)
		maps.attach(dev) // a reconnect attaches again: one cache, not two
		if _, twice := dev.PrivacyTokens.(cachedTokens).PrivacyTokenStore.(cachedTokens); twice {
			t.Fatal("cache wrapped twice")
		}
		pn := types.NewJID("15550403", types.DefaultUserServer)
		lid := types.NewJID("900004", types.HiddenUserServer)
		get := func() *store.PrivacyToken {
			t.Helper()
			tok, err := dev.PrivacyTokens.GetPrivacyToken(ctx, pn)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		if get() != nil {
			t.Fatal("no token yet")
		}
		// Written behind the store's back: the cached "none" stands.
		if _, err := ds.DB().ExecContext(ctx, "INSERT INTO whatsmeow_privacy_tokens (our_jid, their_jid, token, timestamp) VALUES ($1, $2, $3, $4)",
			own.String(), lid.String(), []byte("lid-token"), time.Now().Unix()); err != nil {
			t.Fatal(err)
		}
		if get() != nil {
			t.Fatal("the cached answer was not used")
		}
		// The session learns the number's LID: the lookup follows it.
		if err := dev.LIDs.PutLIDMapping(ctx, lid, pn); err != nil {
			t.Fatal(err)
		}
		if tok := get(); tok == nil || !bytes.Equal(tok.Token, []byte("lid-token")) {
			t.Fatalf("after the LID pair: %+v", tok)
		}
		// Its own token write is seen at once.
		if err := dev.PrivacyTokens.PutPrivacyTokens(ctx, store.PrivacyToken{User: pn, Token: []byte("pn-token"), Timestamp: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if tok := get(); tok == nil || !bytes.Equal(tok.Token, []byte("pn-token")) {
			t.Fatalf("after its own write: %+v", tok)
		}
	})
}
