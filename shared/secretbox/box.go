// Package secretbox seals secrets at rest with the master key: AES-256-GCM,
// the caller's record id as associated data, and the id of the key that
// sealed each value stored with it, so keys can be rotated (a new key seals,
// previous keys still open).
//
// A nil *Box is the explicit "no master key configured" box: Seal returns
// the plaintext unchanged and Open returns unsealed input unchanged (and
// refuses sealed input with ErrNoKey).
package secretbox

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Errors of the package.
var (
	// ErrNoKey means sealed data was read without a master key configured.
	ErrNoKey = errors.New("secretbox: data is sealed but no master key is configured (SWITCHBOARD_MASTER_KEY)")
	// ErrUnknownKey means the data was sealed with a key that is neither
	// the current nor a previous key.
	ErrUnknownKey = errors.New("secretbox: data was sealed with an unknown key (set SWITCHBOARD_MASTER_KEY_PREVIOUS)")
	// ErrCorrupt means the data or its associated data was altered, or it
	// was sealed for another record.
	ErrCorrupt = errors.New("secretbox: sealed data does not authenticate")
	// ErrBadKey means a configured key is not 32 bytes of base64.
	ErrBadKey = errors.New("secretbox: a master key must be 32 bytes, base64-encoded")
)

// KeySize is the size of a master key in bytes.
const KeySize = 32

// magic starts every sealed byte value; version 1 of the format is
// magic | key id (4 bytes) | nonce (12 bytes) | ciphertext and GCM tag.
var magic = []byte("SBX1")

const (
	kidSize   = 4
	nonceSize = 12
	overhead  = len("SBX1") + kidSize + nonceSize + 16
	// StringPrefix starts every sealed string (see SealString).
	StringPrefix = "sbx1:"
)

// Config names the keys, each 32 bytes in standard or URL base64.
type Config struct {
	// Key is the current master key: it seals and opens. Empty disables
	// sealing (New returns a nil Box).
	Key string
	// Previous are older keys that still open what they sealed, for
	// rotation.
	Previous []string
}

// Validate checks that every key decodes to 32 bytes.
func (c Config) Validate() error {
	if c.Key == "" {
		if len(c.Previous) > 0 {
			return errors.New("secretbox: previous master keys need a current one")
		}
		return nil
	}
	for _, k := range append([]string{c.Key}, c.Previous...) {
		if _, err := DecodeKey(k); err != nil {
			return err
		}
	}
	return nil
}

// Box seals and opens values. It is safe for concurrent use.
type Box struct {
	current uint32
	aeads   map[uint32]cipher.AEAD
}

// New builds a Box from cfg; it returns a nil Box (passthrough) when no key
// is configured.
func New(cfg Config) (*Box, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Key == "" {
		return nil, nil
	}
	b := &Box{aeads: map[uint32]cipher.AEAD{}}
	for i, k := range append([]string{cfg.Key}, cfg.Previous...) {
		raw, _ := DecodeKey(k)
		kid, aead, err := derive(raw)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			b.current = kid
		}
		if _, dup := b.aeads[kid]; !dup {
			b.aeads[kid] = aead
		}
	}
	return b, nil
}

// Enabled reports whether b seals (a master key is configured).
func (b *Box) Enabled() bool { return b != nil }

// KeyID is the id of the current key as 8 hex digits, for logs and
// operators ("which key sealed this?"); "" for a nil Box.
func (b *Box) KeyID() string {
	if b == nil {
		return ""
	}
	return fmt.Sprintf("%08x", b.current)
}

// Seal encrypts plain for the record named by ad. A nil Box returns plain.
func (b *Box) Seal(plain, ad []byte) ([]byte, error) {
	if b == nil {
		return plain, nil
	}
	out := make([]byte, 0, overhead+len(plain))
	out = append(out, magic...)
	out = binary.BigEndian.AppendUint32(out, b.current)
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secretbox: nonce: %w", err)
	}
	out = append(out, nonce...)
	return b.aeads[b.current].Seal(out, nonce, plain, ad), nil
}

// Open decrypts what Seal returned for the same ad. Input that is not
// sealed (written before a master key was configured) is returned as is.
func (b *Box) Open(sealed, ad []byte) ([]byte, error) {
	if !IsSealed(sealed) {
		return sealed, nil
	}
	if b == nil {
		return nil, ErrNoKey
	}
	if len(sealed) < overhead {
		return nil, ErrCorrupt
	}
	kid := binary.BigEndian.Uint32(sealed[len(magic):])
	aead, ok := b.aeads[kid]
	if !ok {
		return nil, fmt.Errorf("%w: key id %08x", ErrUnknownKey, kid)
	}
	nonce := sealed[len(magic)+kidSize : len(magic)+kidSize+nonceSize]
	plain, err := aead.Open(nil, nonce, sealed[len(magic)+kidSize+nonceSize:], ad)
	if err != nil {
		return nil, ErrCorrupt
	}
	return plain, nil
}

// NeedsReseal reports whether sealed is plaintext or sealed with a key
// other than the current one (a rotation should rewrite it).
func (b *Box) NeedsReseal(sealed []byte) bool {
	if b == nil {
		return false
	}
	if !IsSealed(sealed) || len(sealed) < overhead {
		return true
	}
	return binary.BigEndian.Uint32(sealed[len(magic):]) != b.current
}

// IsSealed reports whether data carries the sealed format's marker.
func IsSealed(data []byte) bool { return bytes.HasPrefix(data, magic) }

// SealString seals a string into "sbx1:" + base64url; "" stays "" (an
// unset secret stays visibly unset). A nil Box returns s.
func (b *Box) SealString(s, ad string) (string, error) {
	if b == nil || s == "" || strings.HasPrefix(s, StringPrefix) {
		return s, nil
	}
	sealed, err := b.Seal([]byte(s), []byte(ad))
	if err != nil {
		return "", err
	}
	return StringPrefix + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// OpenString opens what SealString returned; a string without the prefix
// is plaintext and returned as is.
func (b *Box) OpenString(s, ad string) (string, error) {
	enc, ok := strings.CutPrefix(s, StringPrefix)
	if !ok {
		return s, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !IsSealed(raw) {
		return "", ErrCorrupt
	}
	plain, err := b.Open(raw, []byte(ad))
	if err != nil {
		return "", err
	}
	return string(plain), nil
}

// NeedsResealString is NeedsReseal for a string value; "" needs nothing.
func (b *Box) NeedsResealString(s string) bool {
	if b == nil || s == "" {
		return false
	}
	enc, ok := strings.CutPrefix(s, StringPrefix)
	if !ok {
		return true
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	return err != nil || b.NeedsReseal(raw)
}

// IsSealedString reports whether s is a sealed string.
func IsSealedString(s string) bool { return strings.HasPrefix(s, StringPrefix) }

// DecodeKey decodes a base64 (standard or URL, padded or not) key and checks
// its size.
func DecodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil {
			if len(raw) != KeySize {
				return nil, fmt.Errorf("%w (got %d bytes)", ErrBadKey, len(raw))
			}
			return raw, nil
		}
	}
	return nil, ErrBadKey
}

// derive turns a master key into its key id and AEAD. The AES key comes
// from HKDF so the raw master key can derive other keys later without
// reuse; the id is a hash prefix, so it names the key without revealing it.
func derive(master []byte) (uint32, cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, master, nil, "switchboard secretbox v1 aes-256-gcm", 32)
	if err != nil {
		return 0, nil, fmt.Errorf("secretbox: derive: %w", err)
	}
	sum := sha256.Sum256(append([]byte("switchboard secretbox key id\x00"), master...))
	block, err := aes.NewCipher(key)
	if err != nil {
		return 0, nil, fmt.Errorf("secretbox: cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return 0, nil, fmt.Errorf("secretbox: gcm: %w", err)
	}
	return binary.BigEndian.Uint32(sum[:kidSize]), aead, nil
}
