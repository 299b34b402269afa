package wasim

import (
	"context"
	"sync"

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/libsignal/keys/identity"
	"go.mau.fi/libsignal/protocol"
	"go.mau.fi/libsignal/serialize"
	"go.mau.fi/libsignal/state/record"
	"go.mau.fi/libsignal/state/store"
)

// signalSerializer is the serializer whatsmeow uses for its Signal records.
var signalSerializer = serialize.NewProtoBufSerializer()

// sender is the in-memory Signal store of a simulated phone that sends
// messages: its identity is the account identity key, and it holds one
// session per recipient device. It only ever encrypts, so prekey stores are
// empty and every identity is trusted.
type sender struct {
	mu       sync.Mutex // serializes session use; held across one encryption
	keys     *identity.KeyPair
	regID    uint32
	sessions map[string]*record.Session
}

var (
	_ store.Session      = (*sender)(nil)
	_ store.PreKey       = (*sender)(nil)
	_ store.SignedPreKey = (*sender)(nil)
	_ store.IdentityKey  = (*sender)(nil)
)

func newSender(a *account) *sender {
	return &sender{
		keys: identity.NewKeyPair(
			identity.NewKey(ecc.NewDjbECPublicKey(*a.identity.Pub)),
			ecc.NewDjbECPrivateKey(*a.identity.Priv),
		),
		regID:    a.regID,
		sessions: make(map[string]*record.Session),
	}
}

// LoadSession implements store.Session; a missing session is a fresh record.
func (s *sender) LoadSession(_ context.Context, addr *protocol.SignalAddress) (*record.Session, error) {
	if rec, ok := s.sessions[addr.String()]; ok {
		return rec, nil
	}
	return record.NewSession(signalSerializer.Session, signalSerializer.State), nil
}

// GetSubDeviceSessions implements store.Session.
func (s *sender) GetSubDeviceSessions(context.Context, string) ([]uint32, error) { return nil, nil }

// StoreSession implements store.Session.
func (s *sender) StoreSession(_ context.Context, addr *protocol.SignalAddress, rec *record.Session) error {
	s.sessions[addr.String()] = rec
	return nil
}

// ContainsSession implements store.Session.
func (s *sender) ContainsSession(_ context.Context, addr *protocol.SignalAddress) (bool, error) {
	_, ok := s.sessions[addr.String()]
	return ok, nil
}

// DeleteSession implements store.Session.
func (s *sender) DeleteSession(_ context.Context, addr *protocol.SignalAddress) error {
	delete(s.sessions, addr.String())
	return nil
}

// DeleteAllSessions implements store.Session.
func (s *sender) DeleteAllSessions(context.Context) error {
	clear(s.sessions)
	return nil
}

// LoadPreKey implements store.PreKey; a sender has no prekeys.
func (s *sender) LoadPreKey(context.Context, uint32) (*record.PreKey, error) { return nil, nil }

// StorePreKey implements store.PreKey.
func (s *sender) StorePreKey(context.Context, uint32, *record.PreKey) error { return nil }

// ContainsPreKey implements store.PreKey.
func (s *sender) ContainsPreKey(context.Context, uint32) (bool, error) { return false, nil }

// RemovePreKey implements store.PreKey.
func (s *sender) RemovePreKey(context.Context, uint32) error { return nil }

// LoadSignedPreKey implements store.SignedPreKey.
func (s *sender) LoadSignedPreKey(context.Context, uint32) (*record.SignedPreKey, error) {
	return nil, nil
}

// LoadSignedPreKeys implements store.SignedPreKey.
func (s *sender) LoadSignedPreKeys(context.Context) ([]*record.SignedPreKey, error) { return nil, nil }

// StoreSignedPreKey implements store.SignedPreKey.
func (s *sender) StoreSignedPreKey(context.Context, uint32, *record.SignedPreKey) error { return nil }

// ContainsSignedPreKey implements store.SignedPreKey.
func (s *sender) ContainsSignedPreKey(context.Context, uint32) (bool, error) { return false, nil }

// RemoveSignedPreKey implements store.SignedPreKey.
func (s *sender) RemoveSignedPreKey(context.Context, uint32) error { return nil }

// GetIdentityKeyPair implements store.IdentityKey.
func (s *sender) GetIdentityKeyPair() *identity.KeyPair { return s.keys }

// GetLocalRegistrationID implements store.IdentityKey.
func (s *sender) GetLocalRegistrationID() uint32 { return s.regID }

// SaveIdentity implements store.IdentityKey; identities are not tracked.
func (s *sender) SaveIdentity(context.Context, *protocol.SignalAddress, *identity.Key) error {
	return nil
}

// IsTrustedIdentity implements store.IdentityKey; every identity is trusted.
func (s *sender) IsTrustedIdentity(context.Context, *protocol.SignalAddress, *identity.Key) (bool, error) {
	return true, nil
}

// markAcked stops sending pkmsg on a session once the recipient confirmed
// a message, like a real sender after the first reply.
func (s *sender) markAcked(addr *protocol.SignalAddress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec, ok := s.sessions[addr.String()]; ok {
		rec.SessionState().ClearUnackPreKeyMessage()
	}
}
