package wasim

import (
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/whatsmeow/socket"
	"go.mau.fi/whatsmeow/util/gcmutil"
	"go.mau.fi/whatsmeow/util/keys"
	"golang.org/x/crypto/hkdf"
)

var errBadCiphertext = errors.New("wasim: noise decrypt failed")

// noiseState is the responder side of Noise_XX_25519_AESGCM_SHA256 as
// WhatsApp uses it (spec §3). socket.NoiseHandshake cannot be reused because
// its Finish returns client-oriented keys and it hides the chaining key.
type noiseState struct {
	hash    [32]byte
	ck      [32]byte
	key     cipher.AEAD
	counter uint32
}

func newNoiseState() *noiseState {
	ns := &noiseState{}
	// The pattern name is exactly 32 bytes, so it is used without hashing.
	copy(ns.hash[:], socket.NoiseStartPattern)
	ns.ck = ns.hash
	ns.mixHash(socket.WAConnHeader)
	return ns
}

func (ns *noiseState) mixHash(data []byte) {
	h := sha256.New()
	h.Write(ns.hash[:])
	h.Write(data)
	h.Sum(ns.hash[:0])
}

// mixKey runs HKDF over the chaining key and a DH output and resets the counter.
func (ns *noiseState) mixKey(priv *keys.KeyPair, pub []byte) error {
	if len(pub) != 32 {
		return fmt.Errorf("wasim: peer key of %d bytes", len(pub))
	}
	// One scalar multiplication (libsignal's patched ecc); it refuses a
	// low-order peer key (all-zero secret) as crypto/ecdh does.
	secret, err := ecc.X25519(priv.Priv, (*[32]byte)(pub))
	if err != nil {
		return fmt.Errorf("wasim: x25519: %w", err)
	}
	var out [64]byte
	if _, err := io.ReadFull(hkdf.New(sha256.New, secret, ns.ck[:], nil), out[:]); err != nil {
		return fmt.Errorf("wasim: hkdf: %w", err)
	}
	copy(ns.ck[:], out[:32])
	ns.key, err = gcmutil.Prepare(out[32:])
	if err != nil {
		return fmt.Errorf("wasim: gcm: %w", err)
	}
	ns.counter = 0
	return nil
}

func (ns *noiseState) encrypt(plaintext []byte) []byte {
	var iv [12]byte
	binary.BigEndian.PutUint32(iv[8:], ns.counter)
	ns.counter++
	ct := ns.key.Seal(nil, iv[:], plaintext, ns.hash[:])
	ns.mixHash(ct)
	return ct
}

func (ns *noiseState) decrypt(ciphertext []byte) ([]byte, error) {
	var iv [12]byte
	binary.BigEndian.PutUint32(iv[8:], ns.counter)
	ns.counter++
	pt, err := ns.key.Open(nil, iv[:], ciphertext, ns.hash[:])
	if err != nil {
		return nil, errBadCiphertext
	}
	ns.mixHash(ciphertext)
	return pt, nil
}

// split derives the transport keys. The first half is the client's write key,
// so it is the server's read key.
func (ns *noiseState) split() (read, write cipher.AEAD, err error) {
	var out [64]byte
	if _, err = io.ReadFull(hkdf.New(sha256.New, nil, ns.ck[:], nil), out[:]); err != nil {
		return nil, nil, fmt.Errorf("wasim: hkdf: %w", err)
	}
	if read, err = gcmutil.Prepare(out[:32]); err != nil {
		return nil, nil, fmt.Errorf("wasim: gcm: %w", err)
	}
	if write, err = gcmutil.Prepare(out[32:]); err != nil {
		return nil, nil, fmt.Errorf("wasim: gcm: %w", err)
	}
	return read, write, nil
}
