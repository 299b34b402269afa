package webhook

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Sealer encrypts dead-letter bodies at rest with authenticated encryption;
// ad binds a sealed body to its row. It is the seam for the master key
// (SWITCHBOARD_MASTER_KEY); without one bodies are stored as JSON.
type Sealer interface {
	Seal(plain, ad []byte) ([]byte, error)
	Open(sealed, ad []byte) ([]byte, error)
}

// sealedPrefix marks a sealed body column: the rest is base64.
const sealedPrefix = "sealed:"

// ErrSealed is returned for a sealed body when no Sealer is configured.
var ErrSealed = errors.New("webhook: dead letter body is sealed and no master key is configured")

// bodyAD binds a body to its tenant, session, event and target.
func bodyAD(tenant, session, eventID, urlHash string) []byte {
	return []byte(tenant + "\x00" + session + "\x00" + eventID + "\x00" + urlHash)
}

// sealBody returns the column value for body.
func sealBody(s Sealer, body, ad []byte) (string, error) {
	if s == nil {
		return string(body), nil
	}
	sealed, err := s.Seal(body, ad)
	if err != nil {
		return "", fmt.Errorf("webhook: seal dead letter: %w", err)
	}
	return sealedPrefix + base64.StdEncoding.EncodeToString(sealed), nil
}

// openBody reverses sealBody.
func openBody(s Sealer, col string, ad []byte) ([]byte, error) {
	enc, sealed := strings.CutPrefix(col, sealedPrefix)
	if !sealed {
		return []byte(col), nil
	}
	if s == nil {
		return nil, ErrSealed
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("webhook: open dead letter: %w", err)
	}
	plain, err := s.Open(raw, ad)
	if err != nil {
		return nil, fmt.Errorf("webhook: open dead letter: %w", err)
	}
	return plain, nil
}
