package wasim

import (
	"fmt"

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"google.golang.org/protobuf/proto"
)

// DeviceKeys are the public keys of a client device as a pairing would
// record them (whatsmeow: Store.NoiseKey, IdentityKey, RegistrationID,
// SignedPreKey).
type DeviceKeys struct {
	// NoisePub is the client's Noise static public key; logins must present it.
	NoisePub [32]byte
	// IdentityPub is the client's Signal identity public key.
	IdentityPub [32]byte
	// RegistrationID is the client's Signal registration id.
	RegistrationID uint32
	// SignedPreKeyID is the id of the client's signed prekey.
	SignedPreKeyID uint32
	// SignedPreKeyPub is the client's signed prekey.
	SignedPreKeyPub [32]byte
	// SignedPreKeySig is the identity key's XEdDSA signature over 0x05‖SignedPreKeyPub.
	SignedPreKeySig [64]byte
	// UploadedPrekeys, when > 0, makes the server act as if the client had
	// already uploaded that many one-time prekeys, so its first login does
	// not upload any (the client must also have >= 5 keys marked uploaded).
	UploadedPrekeys int
	// ShareAppStateKey makes the device's first login get the app-state
	// sync key share and sync, as after a fresh link. Left false, the
	// device stands for one linked long ago: it got its key back then, so
	// its logins trigger no key share (as on WhatsApp, where a re-login
	// does not re-share keys).
	ShareAppStateKey bool
}

// PrePaired describes a device registered by RegisterPairedDevice.
type PrePaired struct {
	PairResult
	// Account is the ADV identity a real pairing stores in whatsmeow's
	// Store.Account; DeviceSignature is left for the caller to fill.
	Account *waAdv.ADVSignedDeviceIdentity
	// AccountIdentityPub is the phone's identity key (the main device identity).
	AccountIdentityPub [32]byte
}

// RegisterPairedDevice registers a device of phone as if it had completed a
// pairing, without any connection. It exists for load tests that need
// thousands of logged-in devices quickly: the caller writes the returned
// identity into a whatsmeow store device (ID, LID, Account) and connects.
// It does not count in Stats.Pairings.
func (s *Server) RegisterPairedDevice(phone, pushName string, keys DeviceKeys) (PrePaired, error) {
	phone, err := normalizePhone(phone)
	if err != nil {
		return PrePaired{}, err
	}
	s.mu.Lock()
	acct := s.accountLocked(phone, pushName)
	idx, err := acct.allocDevice()
	s.mu.Unlock()
	if err != nil {
		return PrePaired{}, err
	}
	details, err := proto.Marshal(&waAdv.ADVDeviceIdentity{
		RawID:       proto.Uint32(acct.rawID),
		Timestamp:   proto.Uint64(0),
		KeyIndex:    proto.Uint32(uint32(idx)),
		AccountType: waAdv.ADVEncryptionType_E2EE.Enum(),
		DeviceType:  waAdv.ADVEncryptionType_E2EE.Enum(),
	})
	if err != nil {
		return PrePaired{}, fmt.Errorf("wasim: adv details: %w", err)
	}
	sig := ecc.CalculateSignature(ecc.NewDjbECPrivateKey(*acct.identity.Priv),
		concat(advAccountPrefix, details, keys.IdentityPub[:]))
	dev := &device{
		acct:        acct,
		index:       idx,
		jid:         acct.jid(idx),
		lid:         acct.lidJID(idx),
		noisePub:    keys.NoisePub,
		identityPub: keys.IdentityPub,
		regID:       keys.RegistrationID,
		skey:        prekeyRec{id: keys.SignedPreKeyID, pub: keys.SignedPreKeyPub, sig: keys.SignedPreKeySig},
		keyShared:   !keys.ShareAppStateKey,
	}
	if keys.UploadedPrekeys > 0 {
		dev.prekeys, dev.uploaded = keys.UploadedPrekeys, true
	}
	s.mu.Lock()
	acct.devices[idx] = dev
	s.mu.Unlock()
	return PrePaired{
		PairResult: PairResult{JID: dev.jid, LID: dev.lid},
		Account: &waAdv.ADVSignedDeviceIdentity{
			Details:             details,
			AccountSignatureKey: acct.identity.Pub[:],
			AccountSignature:    sig[:],
		},
		AccountIdentityPub: *acct.identity.Pub,
	}, nil
}
