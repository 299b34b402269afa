package wasim

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
)

// ScanQR plays the phone scanning a QR code: it finds the registration
// connection that owns the QR's ref, links a new device of phone (created
// with pushName if new) and returns once the client confirmed the pairing
// with pair-device-sign. The client then reconnects and logs in by itself.
//
// Errors: ErrInvalidInput (malformed QR or phone, or QR keys that do not
// belong to the connection), ErrNoPendingQR (no live connection owns the
// ref), ErrPairRejected (the client refused or went away).
func (s *Server) ScanQR(ctx context.Context, qr, phone, pushName string) (PairResult, error) {
	phone, err := normalizePhone(phone)
	if err != nil {
		return PairResult{}, err
	}
	parts := strings.Split(qr, ",")
	if len(parts) != 4 || parts[0] == "" {
		return PairResult{}, fmt.Errorf("%w: qr must have 4 comma-separated fields", ErrInvalidInput)
	}
	var noisePub, identityPub [32]byte
	advSecret, err := decodeKey(parts[3])
	if err == nil {
		err = decodeInto(noisePub[:], parts[1])
	}
	if err == nil {
		err = decodeInto(identityPub[:], parts[2])
	}
	if err != nil {
		return PairResult{}, err
	}
	s.mu.Lock()
	c := s.refs[parts[0]]
	var keysMatch bool
	if c != nil {
		keysMatch = c.static == noisePub && c.reg.identityPub == identityPub
	}
	s.mu.Unlock()
	if c == nil {
		return PairResult{}, ErrNoPendingQR
	}
	if !keysMatch {
		return PairResult{}, fmt.Errorf("%w: qr keys do not match the connection", ErrInvalidInput)
	}
	return s.pair(ctx, c, phone, pushName, advSecret)
}

// decodeKey decodes one base64 (standard, padded) 32-byte QR field.
func decodeKey(field string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(field)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("%w: qr key field", ErrInvalidInput)
	}
	return b, nil
}

func decodeInto(dst []byte, field string) error {
	b, err := decodeKey(field)
	if err != nil {
		return err
	}
	copy(dst, b)
	return nil
}
