package ecc

import (
	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

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

// ScalarBaseMultBatch sets dst[i] to ScalarBaseMult(scalars[i]) for every
// i (dst and scalars of the same length), with one field inversion for all
// of them (Montgomery's trick) instead of one each: the inversion was a
// third of a key's cost, and pre-keys are generated 50 at a time.
func ScalarBaseMultBatch(dst, scalars []*[32]byte) {
	n := len(scalars)
	if n == 0 {
		return
	}
	num := make([]field.Element, n) // Z + Y
	den := make([]field.Element, n) // Z - Y; u = (Z+Y)/(Z-Y)
	var p edwards25519.Point
	for i, k := range scalars {
		s, err := edwards25519.NewScalar().SetBytesWithClamping(k[:])
		if err != nil {
			panic(err) // unreachable: the input is 32 bytes
		}
		_, y, z, _ := p.ScalarBaseMult(s).ExtendedCoordinates()
		num[i].Add(z, y)
		den[i].Subtract(z, y)
	}
	prefix := make([]field.Element, n) // prefix[i] = den[0]·…·den[i-1]
	var acc field.Element
	acc.One()
	for i := range den {
		prefix[i].Set(&acc)
		acc.Multiply(&acc, &den[i])
	}
	if acc.Equal(new(field.Element)) == 1 {
		// A zero denominator (the identity point; no clamped scalar gives
		// it) would spoil every inverse: one at a time instead.
		for i, k := range scalars {
			ScalarBaseMult(dst[i], k)
		}
		return
	}
	acc.Invert(&acc) // 1 / (den[0]·…·den[n-1])
	var inv, u field.Element
	for i := n - 1; i >= 0; i-- {
		inv.Multiply(&acc, &prefix[i]) // 1 / den[i]
		acc.Multiply(&acc, &den[i])    // 1 / (den[0]·…·den[i-1])
		u.Multiply(&num[i], &inv)
		copy(dst[i][:], u.Bytes())
	}
}
