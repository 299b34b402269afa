package devstore

import (
	"context"

	"go.mau.fi/util/dbutil"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/util/keys"
)

// batchedPreKeys generates a device's one-time pre-keys in one transaction.
// whatsmeow inserts the 50 keys of an upload one statement at a time, each
// its own commit: linking a device was 50 SQLite commits, which serialised
// every link of the process behind SQLite's single writer (a CPU profile of
// linking: ~30 % of the gateway in these inserts; goroutines queued behind
// them for a connection and for the LID map's lock).
type batchedPreKeys struct {
	store.PreKeyStore
	db *dbutil.Database
}

// GetOrGenPreKeys is whatsmeow's, inside one transaction.
func (b batchedPreKeys) GetOrGenPreKeys(ctx context.Context, count uint32) (out []*keys.PreKey, err error) {
	err = b.db.DoTxn(ctx, nil, func(ctx context.Context) error {
		out, err = b.PreKeyStore.GetOrGenPreKeys(ctx, count)
		return err
	})
	return out, err
}

// batchPreKeys wraps the pre-key store of an initialised device (once).
func (s *Store) batchPreKeys(dev *store.Device) {
	if dev.PreKeys == nil {
		return
	}
	if _, done := dev.PreKeys.(batchedPreKeys); done {
		return
	}
	dev.PreKeys = batchedPreKeys{PreKeyStore: dev.PreKeys, db: s.ours}
}
