package devstore_test

import (
	"crypto/rand"
	"encoding/hex"
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
	for _, n := range []int{1, 2, 3, 50, 812} {
		privs, pubs := make([]*[32]byte, n), make([]*[32]byte, n)
		for i := range privs {
			privs[i], pubs[i] = &scalars[i], new([32]byte)
		}
		ecc.ScalarBaseMultBatch(pubs, privs)
		for i := range privs {
			var want [32]byte
			curve25519.ScalarBaseMult(&want, privs[i])
			if *pubs[i] != want {
				t.Fatalf("batch of %d, key %d: got %x, want %x", n, i, *pubs[i], want)
			}
		}
		pre := keys.NewPreKeys(7, uint32(n))
		for i, k := range pre {
			if want, err := curve25519.X25519(k.Priv[:], curve25519.Basepoint); err != nil || [32]byte(want) != *k.Pub || k.KeyID != uint32(7+i) {
				t.Fatalf("keys.NewPreKeys(7, %d)[%d]: id %d, public key %x is not X25519(priv, 9) %x", n, i, k.KeyID, *k.Pub, want)
			}
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

// TestSharedSecretMatchesX25519: the patched Diffie-Hellman (libsignal
// ecc.ScalarMult and ecc.X25519, used by libsignal's kdf for every Signal
// session and by whatsmeow's Noise handshake) gives exactly what
// curve25519.X25519 gives: random scalars and points, public keys, the
// low order points (all zeroes, and an error from X25519), non-canonical
// encodings and the top bit set.
func TestSharedSecretMatchesX25519(t *testing.T) {
	points := [][32]byte{{}, {1}, {9}}
	for _, h := range []string{
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", // order 8
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", // order 8
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p-1
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p+1
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", // top bit set
	} {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != 32 {
			t.Fatalf("%s: %v", h, err)
		}
		points = append(points, [32]byte(b))
	}
	for range 300 {
		var k [32]byte
		if _, err := rand.Read(k[:]); err != nil {
			t.Fatal(err)
		}
		var pub [32]byte
		curve25519.ScalarBaseMult(&pub, &k)
		points = append(points, pub, k) // a public key, and 32 random bytes
	}
	for i, p := range points {
		var k [32]byte
		if _, err := rand.Read(k[:]); err != nil {
			t.Fatal(err)
		}
		var got, want [32]byte
		ecc.ScalarMult(&got, &k, &p)
		curve25519.ScalarMult(&want, &k, &p)
		if got != want {
			t.Fatalf("point %d %x: got %x, want %x", i, p, got, want)
		}
		out, err := ecc.X25519(&k, &p)
		ref, refErr := curve25519.X25519(k[:], p[:])
		if (err == nil) != (refErr == nil) || string(out) != string(ref) {
			t.Fatalf("point %d %x: X25519 gave %x, %v; curve25519 %x, %v", i, p, out, err, ref, refErr)
		}
	}
	// Both sides of an exchange agree.
	a, b := keys.NewKeyPair(), keys.NewKeyPair()
	ab, err1 := ecc.X25519(a.Priv, b.Pub)
	ba, err2 := ecc.X25519(b.Priv, a.Pub)
	if err1 != nil || err2 != nil || string(ab) != string(ba) {
		t.Fatalf("shared secrets differ: %x %x (%v, %v)", ab, ba, err1, err2)
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
	b.Run("batch-of-50", func(b *testing.B) {
		privs, pubs := make([]*[32]byte, 50), make([]*[32]byte, 50)
		for i := range privs {
			privs[i], pubs[i] = &k, new([32]byte)
		}
		for i := 0; i < b.N; i += 50 {
			ecc.ScalarBaseMultBatch(pubs, privs)
		}
	})
}

// BenchmarkSharedSecret: one Diffie-Hellman, patched against
// curve25519.ScalarMult (which also computed the scalar's public key).
func BenchmarkSharedSecret(b *testing.B) {
	var k, p, out [32]byte
	_, _ = rand.Read(k[:])
	curve25519.ScalarBaseMult(&p, &k)
	b.Run("patched", func(b *testing.B) {
		for range b.N {
			ecc.ScalarMult(&out, &k, &p)
		}
	})
	b.Run("x-crypto", func(b *testing.B) {
		for range b.N {
			curve25519.ScalarMult(&out, &k, &p)
		}
	})
}
