package wasim

import (
	"fmt"
	"time"

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/whatsmeow/proto/waCert"
	"go.mau.fi/whatsmeow/util/keys"
	"google.golang.org/protobuf/proto"
)

// Serial numbers of the simulated certificates. The client only checks that
// the intermediate's issuer is 0 and that the leaf names the intermediate.
const (
	intermediateSerial = 1
	leafSerial         = 2
)

// noiseIdentity is the process-wide server side of the Noise handshake: the
// root key clients trust (whatsmeow.WACertPubKey), the static key and the
// certificate chain that binds the static key to the root (spec §3.1).
type noiseIdentity struct {
	rootPub [32]byte
	static  *keys.KeyPair
	chain   []byte
}

func newNoiseIdentity(rootPriv []byte) (*noiseIdentity, error) {
	root := keys.NewKeyPair()
	if len(rootPriv) == 32 {
		priv := [32]byte(rootPriv)
		priv[0] &= 248
		priv[31] &= 127
		priv[31] |= 64
		root = keys.NewKeyPairFromPrivateKey(priv)
	}
	inter := keys.NewKeyPair()
	static := keys.NewKeyPair()
	now := uint64(time.Now().Unix())
	interDetails, err := proto.Marshal(&waCert.CertChain_NoiseCertificate_Details{
		Serial:       proto.Uint32(intermediateSerial),
		IssuerSerial: proto.Uint32(0),
		Key:          inter.Pub[:],
		NotBefore:    proto.Uint64(now - 3600),
		NotAfter:     proto.Uint64(now + 10*365*24*3600),
	})
	if err != nil {
		return nil, fmt.Errorf("wasim: intermediate details: %w", err)
	}
	leafDetails, err := proto.Marshal(&waCert.CertChain_NoiseCertificate_Details{
		Serial:       proto.Uint32(leafSerial),
		IssuerSerial: proto.Uint32(intermediateSerial),
		Key:          static.Pub[:],
		NotBefore:    proto.Uint64(now - 3600),
		NotAfter:     proto.Uint64(now + 365*24*3600),
	})
	if err != nil {
		return nil, fmt.Errorf("wasim: leaf details: %w", err)
	}
	interSig := ecc.CalculateSignature(ecc.NewDjbECPrivateKey(*root.Priv), interDetails)
	leafSig := ecc.CalculateSignature(ecc.NewDjbECPrivateKey(*inter.Priv), leafDetails)
	chain, err := proto.Marshal(&waCert.CertChain{
		Intermediate: &waCert.CertChain_NoiseCertificate{Details: interDetails, Signature: interSig[:]},
		Leaf:         &waCert.CertChain_NoiseCertificate{Details: leafDetails, Signature: leafSig[:]},
	})
	if err != nil {
		return nil, fmt.Errorf("wasim: cert chain: %w", err)
	}
	return &noiseIdentity{rootPub: *root.Pub, static: static, chain: chain}, nil
}
