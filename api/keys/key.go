package keys

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
)

// Prefix starts every generated key, so leaked keys are easy to grep for.
const Prefix = "sb_"

// secretBytes is the entropy of a generated key: 256 bits.
const secretBytes = 32

// Key is a managed key as stored in the keys bucket: metadata and the
// SHA-256 of the secret, never the secret.
type Key struct {
	ID     string  `json:"id"`
	Tenant string  `json:"tenant"`
	Name   string  `json:"name"`
	Scopes []Scope `json:"scopes"`
	// Session, when set, binds the key to this one session of Tenant.
	Session   string    `json:"session,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Hash is the hex SHA-256 of the secret.
	Hash string `json:"hash"`
}

// Digest is the SHA-256 of a presented key, the lookup index.
type Digest [sha256.Size]byte

// DigestOf hashes a presented key.
func DigestOf(secret string) Digest { return sha256.Sum256([]byte(secret)) }

// generate returns a new secret, its digest and a new key id.
func generate() (secret string, d Digest, id string, err error) {
	raw := make([]byte, secretBytes+8)
	if _, err := rand.Read(raw); err != nil {
		return "", Digest{}, "", fmt.Errorf("keys: generate: %w", err)
	}
	secret = Prefix + base64.RawURLEncoding.EncodeToString(raw[:secretBytes])
	return secret, DigestOf(secret), "key_" + hex.EncodeToString(raw[secretBytes:]), nil
}

// digest parses k.Hash.
func (k Key) digest() (Digest, bool) {
	var d Digest
	b, err := hex.DecodeString(k.Hash)
	if err != nil || len(b) != len(d) {
		return d, false
	}
	copy(d[:], b)
	return d, true
}
