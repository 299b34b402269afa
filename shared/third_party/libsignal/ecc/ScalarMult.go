package ecc

import (
	"errors"

	"filippo.io/edwards25519/field"
)

// ErrLowOrderPoint is X25519's answer for a point whose product is zero.
var ErrLowOrderPoint = errors.New("x25519: low order point")

// Switchboard patch: ScalarMult sets dst to X25519(scalar, point), the
// Diffie-Hellman shared secret, without more. golang.org/x/crypto's
// curve25519.ScalarMult and X25519 go through crypto/ecdh, whose
// NewPrivateKey also computes the scalar's public key: two scalar
// multiplications for every shared secret (each Signal session set-up
// and each Noise handshake does several). This is the Montgomery ladder of
// RFC 7748 as crypto/ecdh runs it (x25519ScalarMult), on
// filippo.io/edwards25519/field, the same field arithmetic. Like
// curve25519.ScalarMult, a low order point gives all zeroes.
func ScalarMult(dst, scalar, point *[32]byte) {
	var e [32]byte
	copy(e[:], scalar[:])
	e[0] &= 248
	e[31] &= 127
	e[31] |= 64

	var x1, x2, z2, x3, z3, tmp0, tmp1 field.Element
	if _, err := x1.SetBytes(point[:]); err != nil {
		panic(err) // unreachable: the input is 32 bytes
	}
	x2.One()
	x3.Set(&x1)
	z3.One()

	swap := 0
	for pos := 254; pos >= 0; pos-- {
		b := e[pos/8] >> uint(pos&7)
		b &= 1
		swap ^= int(b)
		x2.Swap(&x3, swap)
		z2.Swap(&z3, swap)
		swap = int(b)

		tmp0.Subtract(&x3, &z3)
		tmp1.Subtract(&x2, &z2)
		x2.Add(&x2, &z2)
		z2.Add(&x3, &z3)
		z3.Multiply(&tmp0, &x2)
		z2.Multiply(&z2, &tmp1)
		tmp0.Square(&tmp1)
		tmp1.Square(&x2)
		x3.Add(&z3, &z2)
		z2.Subtract(&z3, &z2)
		x2.Multiply(&tmp1, &tmp0)
		tmp1.Subtract(&tmp1, &tmp0)
		z2.Square(&z2)

		z3.Mult32(&tmp1, 121666)
		x3.Square(&x3)
		tmp0.Add(&tmp0, &z3)
		z3.Multiply(&x1, &z2)
		z2.Multiply(&tmp1, &tmp0)
	}

	x2.Swap(&x3, swap)
	z2.Swap(&z3, swap)

	z2.Invert(&z2)
	x2.Multiply(&x2, &z2)
	copy(dst[:], x2.Bytes())
}

// X25519 is ScalarMult returning the shared secret, or ErrLowOrderPoint
// when it is all zeroes (as curve25519.X25519 does).
func X25519(scalar, point *[32]byte) ([]byte, error) {
	var out [32]byte
	ScalarMult(&out, scalar, point)
	if out == ([32]byte{}) {
		return nil, ErrLowOrderPoint
	}
	return out[:], nil
}
