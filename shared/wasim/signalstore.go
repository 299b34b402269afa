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

// sender is the in-memory Signal store of a simulated phone's primary
// device (device 0): its identity is the account identity key, and it holds
// one session per peer device, used both to send (SendText) and to receive
// (the companion's <message> stanzas, inbound.go). Sessions are kept
// serialized, like whatsmeow's sqlstore, so a failed decryption never leaves
// a half-advanced ratchet behind. Every identity is trusted.
type sender struct {
	mu       sync.Mutex // serializes session use; held across one encryption or decryption
	keys     *identity.KeyPair
	regID    uint32
	sessions map[string][]byte
	prekeys  phonePrekeys
}

var (
	_ store.Session      = (*sender)(nil)
	_ store.PreKey       = (*sender)(nil)
	_ store.SignedPreKey = (*sender)(nil)
	_ store.IdentityKey  = (*sender)(nil)
)

func newSender(a *account) *sender {
	keys := identity.NewKeyPair(
		identity.NewKey(ecc.NewDjbECPublicKey(*a.identity.Pub)),
		ecc.NewDjbECPrivateKey(*a.identity.Priv),
	)
	return &sender{
		keys:     keys,
		regID:    a.regID,
		sessions: make(map[string][]byte),
		prekeys:  newPhonePrekeys(keys),
	}
}

// LoadSession implements store.Session; a missing session is a fresh record.
func (s *sender) LoadSession(_ context.Context, addr *protocol.SignalAddress) (*record.Session, error) {
	if raw, ok := s.sessions[addr.String()]; ok {
		return record.NewSessionFromBytes(raw, signalSerializer.Session, signalSerializer.State)
	}
	return record.NewSession(signalSerializer.Session, signalSerializer.State), nil
}

// GetSubDeviceSessions implements store.Session.
func (s *sender) GetSubDeviceSessions(context.Context, string) ([]uint32, error) { return nil, nil }

// StoreSession implements store.Session.
func (s *sender) StoreSession(_ context.Context, addr *protocol.SignalAddress, rec *record.Session) error {
	s.sessions[addr.String()] = rec.Serialize()
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
	raw, ok := s.sessions[addr.String()]
	if !ok {
		return
	}
	rec, err := record.NewSessionFromBytes(raw, signalSerializer.Session, signalSerializer.State)
	if err != nil {
		return
	}
	rec.SessionState().ClearUnackPreKeyMessage()
	s.sessions[addr.String()] = rec.Serialize()
}
