package standalone

import (
	"fmt"
	"path/filepath"

	"github.com/switchboard-gw/switchboard/shared/secretbox"
)

const masterKeyFile = "master.key"

// masterKey returns the secret box: from SWITCHBOARD_MASTER_KEY when set,
// else from the key kept in the data dir (created 0600 the first time, like
// the admin key). The key itself is never printed or logged.
func (g *Gateway) masterKey(cfg *Config) (*secretbox.Box, error) {
	if cfg.MasterKey == "" {
		path := filepath.Join(cfg.DataDir, masterKeyFile)
		key, created, err := secretbox.LoadOrCreateKeyFile(path)
		if err != nil {
			return nil, fmt.Errorf("standalone: %w", err)
		}
		cfg.MasterKey = key
		if created {
			fmt.Fprintf(cfg.Banner, "Generated master key for secrets at rest in %s: back it up, it cannot be recovered\n", path)
		}
	}
	box, err := secretbox.New(cfg.SecretBox())
	if err != nil {
		return nil, fmt.Errorf("standalone: %w", err)
	}
	return box, nil
}
