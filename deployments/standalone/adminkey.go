package standalone

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const adminKeyFile = "admin.key"

// loadOrCreateAdminKey returns the admin key kept in dataDir, creating one
// the first time. created reports whether it was just made, so the caller
// prints it once.
func loadOrCreateAdminKey(dataDir string) (key string, created bool, err error) {
	path := filepath.Join(dataDir, adminKeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		if k := strings.TrimSpace(string(b)); k != "" {
			return k, false, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", false, fmt.Errorf("standalone: read admin key: %w", err)
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", false, fmt.Errorf("standalone: generate admin key: %w", err)
	}
	key = "sb_" + hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", false, fmt.Errorf("standalone: write admin key: %w", err)
	}
	return key, true, nil
}
