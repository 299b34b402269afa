package devstore

import (
	"context"
	"sync"

	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
)

// Identity key cache.
//
// Every Signal encryption asks whether the peer's identity key is trusted
// and then saves it again (libsignal's SessionCipher): two SQL statements per
// device per message, the same answer each time. A device's identity rows
// are written only through its own store (this process holds the session's
// lease), so a per-device cache in front of them is exact, with three
// exceptions handled here:
//   - inside whatsmeow's decryption transaction a write may be rolled back,
//     so calls made in it bypass the cache and drop what they touch;
//   - MigratePNToLID (a SessionStore method) moves identity rows from the
//     phone-number address to the LID one: the cache is emptied, once per
//     number, as whatsmeow's own store migrates once per number;
//   - the cache holds at most identityCacheSize addresses and starts over
//     when full; an idle session holds none.
//
// The cache lives as long as the store.Device it was attached to: a session
// taken over by another worker, or reconnected, starts with an empty one.

const identityCacheSize = 1024

// identityCache holds the keys this process has written (or found equal to
// what it was about to write) per address. Reads alone never fill it: "no
// row" and "a row with this key" both answer trusted, and only the second is
// known for sure.
type identityCache struct {
	mu       sync.Mutex
	keys     map[string][32]byte
	migrated map[string]struct{}
}

func (c *identityCache) get(address string) ([32]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.keys[address]
	return k, ok
}

func (c *identityCache) put(address string, key [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil || len(c.keys) >= identityCacheSize {
		c.keys = make(map[string][32]byte)
	}
	c.keys[address] = key
}

func (c *identityCache) drop(address string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.keys, address)
}

func (c *identityCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys = nil
}

// migrating reports whether pn is migrated for the first time (and empties
// the cache then).
func (c *identityCache) migrating(pn string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, done := c.migrated[pn]; done {
		return false
	}
	if c.migrated == nil || len(c.migrated) >= identityCacheSize {
		c.migrated = make(map[string]struct{})
	}
	c.migrated[pn] = struct{}{}
	c.keys = nil
	return true
}

// inDecryptionTxn marks a context inside whatsmeow's decryption transaction.
type inDecryptionTxn struct{}

func inTxn(ctx context.Context) bool { return ctx.Value(inDecryptionTxn{}) != nil }

type cachedIdentities struct {
	store.IdentityStore
	c *identityCache
}

func (s cachedIdentities) IsTrustedIdentity(ctx context.Context, address string, key [32]byte) (bool, error) {
	if !inTxn(ctx) {
		if k, ok := s.c.get(address); ok {
			return k == key, nil
		}
	}
	return s.IdentityStore.IsTrustedIdentity(ctx, address, key)
}

func (s cachedIdentities) PutIdentity(ctx context.Context, address string, key [32]byte) error {
	if !inTxn(ctx) {
		if k, ok := s.c.get(address); ok && k == key {
			return nil // the row holds this key already
		}
	}
	s.c.drop(address)
	if err := s.IdentityStore.PutIdentity(ctx, address, key); err != nil {
		return err
	}
	if !inTxn(ctx) { // a transaction may still roll it back
		s.c.put(address, key)
	}
	return nil
}

func (s cachedIdentities) DeleteAllIdentities(ctx context.Context, phone string) error {
	s.c.clear()
	err := s.IdentityStore.DeleteAllIdentities(ctx, phone)
	s.c.clear()
	return err
}

func (s cachedIdentities) DeleteIdentity(ctx context.Context, address string) error {
	s.c.drop(address)
	err := s.IdentityStore.DeleteIdentity(ctx, address)
	s.c.drop(address)
	return err
}

// migratingSessions empties the identity cache when whatsmeow migrates a
// number's rows to its LID.
type migratingSessions struct {
	store.SessionStore
	c *identityCache
}

func (s migratingSessions) MigratePNToLID(ctx context.Context, pn, lid types.JID) error {
	if s.c.migrating(pn.SignalAddressUser()) {
		defer s.c.clear() // after the move too: nothing read meanwhile survives
	}
	return s.SessionStore.MigratePNToLID(ctx, pn, lid)
}

// decryptionTxn marks the contexts of whatsmeow's decryption transaction.
type decryptionTxn struct{ store.EventBuffer }

func (b decryptionTxn) DoDecryptionTxn(ctx context.Context, fn func(context.Context) error) error {
	return b.EventBuffer.DoDecryptionTxn(context.WithValue(ctx, inDecryptionTxn{}, true), fn)
}

// cacheStores puts the identity cache in front of an initialised device's
// identity store (once). It wraps the session store outermost, over any
// sealing.
func cacheStores(dev *store.Device) {
	if dev.ID == nil {
		return
	}
	if _, done := dev.Identities.(cachedIdentities); done {
		return
	}
	c := &identityCache{}
	dev.Identities = cachedIdentities{dev.Identities, c}
	dev.Sessions = migratingSessions{dev.Sessions, c}
	dev.EventBuffer = decryptionTxn{dev.EventBuffer}
}
