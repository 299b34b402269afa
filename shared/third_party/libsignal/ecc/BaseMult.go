package ecc

import "filippo.io/edwards25519"

// Switchboard patch: ScalarBaseMult sets dst to X25519(scalar, basepoint),
// the public key of a Curve25519 private key, through edwards25519's
// precomputed fixed-base tables and the birational map to Montgomery form
// instead of curve25519's generic Montgomery ladder (about three times
// faster; a linked device generates 50 pre-keys, each one of these). The
// scalar is clamped exactly as X25519 clamps it; since the base point has
// prime order l, k·B = (k mod l)·B and the u-coordinate is the same.
func ScalarBaseMult(dst, scalar *[32]byte) {
	s, err := edwards25519.NewScalar().SetBytesWithClamping(scalar[:])
	if err != nil {
		panic(err) // unreachable: the input is 32 bytes
	}
	copy(dst[:], new(edwards25519.Point).ScalarBaseMult(s).BytesMontgomery())
}
