package wasim

import (
	"context"
	"fmt"

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/libsignal/keys/identity"
	"go.mau.fi/libsignal/state/record"
)

const (
	// phoneSignedPreKeyID is the id of a primary device's only signed prekey.
	phoneSignedPreKeyID = 1
	// maxPhonePrekeys bounds the unused one-time prekeys a primary device
	// keeps; the oldest unused ones are forgotten first.
	maxPhonePrekeys = 1024
	// maxPrekeyID is the largest id that fits the 3-byte wire field.
	maxPrekeyID = 1<<24 - 1
)

// phonePrekeys are the prekeys of a simulated primary device: one signed
// prekey made at creation and one-time prekeys made on demand, one per
// bundle fetched (encryptiq.go). Guarded by sender.mu.
type phonePrekeys struct {
	signed  *record.SignedPreKey
	oneTime map[uint32]*record.PreKey
	order   []uint32 // ids in creation order, for the bound
	nextID  uint32
}

func newPhonePrekeys(keys *identity.KeyPair) phonePrekeys {
	pair, err := ecc.GenerateKeyPair()
	if err != nil {
		panic(fmt.Errorf("wasim: generate signed prekey: %w", err)) // crypto/rand failure
	}
	pub := pair.PublicKey().Serialize()
	sig := ecc.CalculateSignature(keys.PrivateKey(), pub)
	return phonePrekeys{
		signed:  record.NewSignedPreKey(phoneSignedPreKeyID, 0, pair, sig, signalSerializer.SignedPreKeyRecord),
		oneTime: make(map[uint32]*record.PreKey),
		nextID:  1,
	}
}

// newOneTime makes and keeps a fresh one-time prekey. The caller holds sender.mu.
func (p *phonePrekeys) newOneTime() (*record.PreKey, error) {
	pair, err := ecc.GenerateKeyPair()
	if err != nil {
		return nil, fmt.Errorf("wasim: generate prekey: %w", err)
	}
	id := p.nextID
	p.nextID++
	if p.nextID > maxPrekeyID {
		p.nextID = 1
	}
	if len(p.order) >= maxPhonePrekeys {
		delete(p.oneTime, p.order[0])
		p.order = p.order[1:]
	}
	key := record.NewPreKey(id, pair, signalSerializer.PreKeyRecord)
	p.oneTime[id] = key
	p.order = append(p.order, id)
	return key, nil
}

// LoadPreKey implements store.PreKey.
func (s *sender) LoadPreKey(_ context.Context, id uint32) (*record.PreKey, error) {
	if k, ok := s.prekeys.oneTime[id]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("wasim: no one-time prekey %d", id)
}

// StorePreKey implements store.PreKey.
func (s *sender) StorePreKey(_ context.Context, id uint32, k *record.PreKey) error {
	s.prekeys.oneTime[id] = k
	return nil
}

// ContainsPreKey implements store.PreKey.
func (s *sender) ContainsPreKey(_ context.Context, id uint32) (bool, error) {
	_, ok := s.prekeys.oneTime[id]
	return ok, nil
}

// RemovePreKey implements store.PreKey; a used one-time prekey is gone.
func (s *sender) RemovePreKey(_ context.Context, id uint32) error {
	delete(s.prekeys.oneTime, id)
	return nil
}

// LoadSignedPreKey implements store.SignedPreKey.
func (s *sender) LoadSignedPreKey(_ context.Context, id uint32) (*record.SignedPreKey, error) {
	if id == phoneSignedPreKeyID {
		return s.prekeys.signed, nil
	}
	return nil, nil
}

// LoadSignedPreKeys implements store.SignedPreKey.
func (s *sender) LoadSignedPreKeys(context.Context) ([]*record.SignedPreKey, error) {
	return []*record.SignedPreKey{s.prekeys.signed}, nil
}

// StoreSignedPreKey implements store.SignedPreKey; the signed prekey is fixed.
func (s *sender) StoreSignedPreKey(context.Context, uint32, *record.SignedPreKey) error { return nil }

// ContainsSignedPreKey implements store.SignedPreKey.
func (s *sender) ContainsSignedPreKey(_ context.Context, id uint32) (bool, error) {
	return id == phoneSignedPreKeyID, nil
}

// RemoveSignedPreKey implements store.SignedPreKey; the signed prekey stays.
func (s *sender) RemoveSignedPreKey(context.Context, uint32) error { return nil }
