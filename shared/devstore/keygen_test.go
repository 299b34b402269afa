package devstore_test

import (
	"crypto/rand"
	"testing"

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/whatsmeow/util/keys"
	"golang.org/x/crypto/curve25519"
)

// TestKeyGenerationMatchesX25519: the patched key generation (libsignal
// ecc.ScalarBaseMult, edwards25519 fixed-base tables, used by whatsmeow's
// keys and libsignal's ecc for every identity, pre-key and ratchet key)
// gives exactly the public keys of curve25519's Montgomery ladder, for
// random and edge scalars, clamped or not.
func TestKeyGenerationMatchesX25519(t *testing.T) {
	var ones [32]byte
	for i := range ones {
		ones[i] = 0xff
	}
	scalars := [][32]byte{{}, {1}, {9}, ones}
	for range 2000 {
		var k [32]byte
		if _, err := rand.Read(k[:]); err != nil {
			t.Fatal(err)
		}
		scalars = append(scalars, k)
	}
	for _, k := range scalars {
		var got, want [32]byte
		ecc.ScalarBaseMult(&got, &k)
		curve25519.ScalarBaseMult(&want, &k)
		if got != want {
			t.Fatalf("scalar %x: got %x, want %x", k, got, want)
		}
	}
	for range 200 {
		kp := keys.NewKeyPair()
		if want, err := curve25519.X25519(kp.Priv[:], curve25519.Basepoint); err != nil || [32]byte(want) != *kp.Pub {
			t.Fatalf("keys.NewKeyPair: public key %x is not X25519(priv, 9) %x (%v)", *kp.Pub, want, err)
		}
		pair, err := ecc.GenerateKeyPair()
		if err != nil {
			t.Fatal(err)
		}
		priv, pub := pair.PrivateKey().Serialize(), pair.PublicKey().PublicKey()
		if want, err := curve25519.X25519(priv[:], curve25519.Basepoint); err != nil || [32]byte(want) != pub {
			t.Fatalf("ecc.GenerateKeyPair: public key %x is not X25519(priv, 9) %x (%v)", pub, want, err)
		}
	}
}

// BenchmarkKeyGeneration: one Curve25519 public key, patched fixed-base
// path against the ladder it replaced.
func BenchmarkKeyGeneration(b *testing.B) {
	var k, pub [32]byte
	_, _ = rand.Read(k[:])
	b.Run("fixed-base", func(b *testing.B) {
		for range b.N {
			ecc.ScalarBaseMult(&pub, &k)
		}
	})
	b.Run("ladder", func(b *testing.B) {
		for range b.N {
			curve25519.ScalarBaseMult(&pub, &k)
		}
	})
}
