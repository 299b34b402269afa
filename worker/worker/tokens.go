package worker

import (
	"context"
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

// tokenCache maps a user to its token; a nil token means the database has
// none.
type tokenCache = expiring[types.JID, *store.PrivacyToken]

func newTokenCache() *tokenCache {
	return newExpiring[types.JID, *store.PrivacyToken](tokensTTL, tokensMax)
}

// cachedTokens is a session's privacy token store behind its cache.
type cachedTokens struct {
	store.PrivacyTokenStore
	c *tokenCache
}

func (s cachedTokens) GetPrivacyToken(ctx context.Context, user types.JID) (*store.PrivacyToken, error) {
	user = user.ToNonAD()
	if t, ok := s.c.get(user); ok {
		return clone(t), nil
	}
	t, err := s.PrivacyTokenStore.GetPrivacyToken(ctx, user)
	if err == nil {
		s.c.put(user, clone(t))
	}
	return t, err
}

func (s cachedTokens) PutPrivacyTokens(ctx context.Context, tokens ...store.PrivacyToken) error {
	s.c.clear()
	err := s.PrivacyTokenStore.PutPrivacyTokens(ctx, tokens...)
	s.c.clear() // nothing read meanwhile survives
	return err
}

// clone copies a token so that no caller shares the cached one.
func clone(t *store.PrivacyToken) *store.PrivacyToken {
	if t == nil {
		return nil
	}
	cp := *t
	return &cp
}
