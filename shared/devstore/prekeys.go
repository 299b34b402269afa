package devstore

import (
	"context"
	"sync"

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
//
// It also answers the first UploadedPreKeyCount of a device loaded in bulk
// from the count read with it (DevicesFor): whatsmeow asks on every login,
// and a restart logs in thousands of devices at once. Any change to the
// device's pre-keys before that first question drops the count.
type batchedPreKeys struct {
	store.PreKeyStore
	db   *dbutil.Database
	seed *preKeySeed
}

// preKeySeed is a device's count of uploaded pre-keys as loaded, until it
// is used once or a pre-key changes.
type preKeySeed struct {
	mu    sync.Mutex
	count int
	valid bool
}

func (p *preKeySeed) set(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count, p.valid = n, true
}

func (p *preKeySeed) take() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, ok := p.count, p.valid
	p.valid = false
	return n, ok
}

func (p *preKeySeed) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.valid = false
}

// UploadedPreKeyCount answers from the count loaded with the device once,
// then from the database.
func (b batchedPreKeys) UploadedPreKeyCount(ctx context.Context) (int, error) {
	if n, ok := b.seed.take(); ok {
		return n, nil
	}
	return b.PreKeyStore.UploadedPreKeyCount(ctx)
}

func (b batchedPreKeys) GenOnePreKey(ctx context.Context) (*keys.PreKey, error) {
	b.seed.drop()
	return b.PreKeyStore.GenOnePreKey(ctx)
}

func (b batchedPreKeys) RemovePreKey(ctx context.Context, id uint32) error {
	b.seed.drop()
	return b.PreKeyStore.RemovePreKey(ctx, id)
}

func (b batchedPreKeys) MarkPreKeysAsUploaded(ctx context.Context, upToID uint32) error {
	b.seed.drop()
	return b.PreKeyStore.MarkPreKeysAsUploaded(ctx, upToID)
}

// GetOrGenPreKeys is whatsmeow's, inside one transaction.
func (b batchedPreKeys) GetOrGenPreKeys(ctx context.Context, count uint32) (out []*keys.PreKey, err error) {
	b.seed.drop()
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
	dev.PreKeys = batchedPreKeys{PreKeyStore: dev.PreKeys, db: s.ours, seed: &preKeySeed{}}
}

// seedPreKeyCount makes n the answer to the first UploadedPreKeyCount of a
// device wrapped by batchPreKeys.
func seedPreKeyCount(dev *store.Device, n int) {
	if b, ok := dev.PreKeys.(batchedPreKeys); ok {
		b.seed.set(n)
	}
}
