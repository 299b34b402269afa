package secretbox

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// GenerateKey returns a new random master key, base64-encoded.
func GenerateKey() (string, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("secretbox: generate key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

// LoadOrCreateKeyFile returns the master key kept at path, creating the
// file (mode 0600) with a new key the first time. created reports whether
// it was just made. A key file readable by group or others is tightened to
// 0600.
func LoadOrCreateKeyFile(path string) (key string, created bool, err error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		key = strings.TrimSpace(string(b))
		if _, err := DecodeKey(key); err != nil {
			return "", false, fmt.Errorf("secretbox: key file %s: %w", path, err)
		}
		if err := os.Chmod(path, 0o600); err != nil {
			return "", false, fmt.Errorf("secretbox: key file mode: %w", err)
		}
		return key, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", false, fmt.Errorf("secretbox: read key file: %w", err)
	}
	if key, err = GenerateKey(); err != nil {
		return "", false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, fmt.Errorf("secretbox: create key file: %w", err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return "", false, fmt.Errorf("secretbox: write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", false, fmt.Errorf("secretbox: write key file: %w", err)
	}
	return key, true, nil
}
