package whatsmeow

import (
	"testing"

	"go.mau.fi/libsignal/ecc"
	"google.golang.org/protobuf/proto"

	"go.mau.fi/whatsmeow/proto/waCert"
	"go.mau.fi/whatsmeow/util/keys"
)

// Switchboard patch test: a cached chain still refuses a static key that is
// not its leaf, a chain signed by another root, and a tampered chain.
func TestVerifyServerCertCache(t *testing.T) {
	saved := WACertPubKey
	defer func() { WACertPubKey = saved }()
	root := keys.NewKeyPair()
	WACertPubKey = *root.Pub
	static := keys.NewKeyPair()
	chain := testChain(t, root, static.Pub[:])

	for i := range 2 { // verified, then from the cache
		if err := verifyServerCert(chain, static.Pub[:]); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
	}
	other := keys.NewKeyPair()
	if err := verifyServerCert(chain, other.Pub[:]); err == nil {
		t.Fatal("cached chain accepted a static key that is not its leaf")
	}
	tampered := append([]byte(nil), chain...)
	tampered[len(tampered)-1] ^= 1
	if err := verifyServerCert(tampered, static.Pub[:]); err == nil {
		t.Fatal("tampered chain accepted")
	}
	WACertPubKey = *keys.NewKeyPair().Pub // another root: the cache no longer vouches
	if err := verifyServerCert(chain, static.Pub[:]); err == nil {
		t.Fatal("chain of another root accepted from the cache")
	}
}

func testChain(t *testing.T, root *keys.KeyPair, leafKey []byte) []byte {
	t.Helper()
	inter := keys.NewKeyPair()
	interDetails, _ := proto.Marshal(&waCert.CertChain_NoiseCertificate_Details{
		Serial: proto.Uint32(1), IssuerSerial: proto.Uint32(WACertIssuerSerial), Key: inter.Pub[:],
	})
	leafDetails, _ := proto.Marshal(&waCert.CertChain_NoiseCertificate_Details{
		Serial: proto.Uint32(2), IssuerSerial: proto.Uint32(1), Key: leafKey,
	})
	interSig := ecc.CalculateSignature(ecc.NewDjbECPrivateKey(*root.Priv), interDetails)
	leafSig := ecc.CalculateSignature(ecc.NewDjbECPrivateKey(*inter.Priv), leafDetails)
	chain, err := proto.Marshal(&waCert.CertChain{
		Intermediate: &waCert.CertChain_NoiseCertificate{Details: interDetails, Signature: interSig[:]},
		Leaf:         &waCert.CertChain_NoiseCertificate{Details: leafDetails, Signature: leafSig[:]},
	})
	if err != nil {
		t.Fatal(err)
	}
	return chain
}
