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
// (the companion's <message> stanzas, inbound.go). Every identity is trusted.
type sender struct {
	mu       sync.Mutex // serializes session use; held across one encryption or decryption
	keys     *identity.KeyPair
	regID    uint32
	sessions map[string]*storedSession
	prekeys  phonePrekeys
}

// storedSession is a session record in use plus its serialization as of the
// last successful store: libsignal advances a record in place before it
// checks a message's MAC, so a failed decryption restores the record from
// raw (whatsmeow's sqlstore gets the same effect by deserializing on every
// load, which costs a JSON decode per message).
type storedSession struct {
	live *record.Session
	raw  []byte
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
		sessions: make(map[string]*storedSession),
		prekeys:  newPhonePrekeys(keys),
	}
}

// LoadSession implements store.Session; a missing session is a fresh record.
func (s *sender) LoadSession(_ context.Context, addr *protocol.SignalAddress) (*record.Session, error) {
	if st, ok := s.sessions[addr.String()]; ok {
		return st.live, nil
	}
	return record.NewSession(signalSerializer.Session, signalSerializer.State), nil
}

// restoreSession undoes what a failed decryption did to addr's record.
// The caller holds s.mu.
func (s *sender) restoreSession(addr *protocol.SignalAddress) {
	st, ok := s.sessions[addr.String()]
	if !ok {
		return
	}
	rec, err := record.NewSessionFromBytes(st.raw, signalSerializer.Session, signalSerializer.State)
	if err != nil {
		delete(s.sessions, addr.String()) // cannot happen: raw came from Serialize
		return
	}
	st.live = rec
}

// GetSubDeviceSessions implements store.Session.
func (s *sender) GetSubDeviceSessions(context.Context, string) ([]uint32, error) { return nil, nil }

// StoreSession implements store.Session.
func (s *sender) StoreSession(_ context.Context, addr *protocol.SignalAddress, rec *record.Session) error {
	s.sessions[addr.String()] = &storedSession{live: rec, raw: rec.Serialize()}
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
	if st, ok := s.sessions[addr.String()]; ok {
		st.live.SessionState().ClearUnackPreKeyMessage()
		st.raw = st.live.Serialize()
	}
}
