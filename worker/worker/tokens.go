package worker

import (
	"context"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
)

// Privacy token cache.
//
// whatsmeow reads the recipient's privacy token from the database for every
// message it sends (no cache of its own). A session's tokens are written
// only through its own store (its rows are keyed by its JID, and this
// process holds its lease), but the lookup also follows the LID map, which
// every session shares: so the answers are kept for tokensTTL at most, and
// dropped at once when this session stores a token or a LID pair.

const (
	tokensTTL = time.Minute
	tokensMax = 4096
)

type tokenCache struct {
	mu     sync.Mutex
	tokens map[types.JID]*store.PrivacyToken // nil: the database has none
	since  time.Time
}

func (c *tokenCache) get(user types.JID) (*store.PrivacyToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.since) > tokensTTL {
		c.tokens = nil
	}
	t, ok := c.tokens[user]
	if t != nil {
		cp := *t
		return &cp, true
	}
	return nil, ok
}

func (c *tokenCache) put(user types.JID, t *store.PrivacyToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tokens == nil || len(c.tokens) >= tokensMax || time.Since(c.since) > tokensTTL {
		c.tokens, c.since = make(map[types.JID]*store.PrivacyToken), time.Now()
	}
	if t != nil {
		cp := *t
		t = &cp
	}
	c.tokens[user] = t
}

func (c *tokenCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tokens = nil
}

// cachedTokens is a session's privacy token store behind its cache.
type cachedTokens struct {
	store.PrivacyTokenStore
	c *tokenCache
}

func (s cachedTokens) GetPrivacyToken(ctx context.Context, user types.JID) (*store.PrivacyToken, error) {
	user = user.ToNonAD()
	if t, ok := s.c.get(user); ok {
		return t, nil
	}
	t, err := s.PrivacyTokenStore.GetPrivacyToken(ctx, user)
	if err == nil {
		s.c.put(user, t)
	}
	return t, err
}

func (s cachedTokens) PutPrivacyTokens(ctx context.Context, tokens ...store.PrivacyToken) error {
	s.c.clear()
	err := s.PrivacyTokenStore.PutPrivacyTokens(ctx, tokens...)
	s.c.clear() // nothing read meanwhile survives
	return err
}
