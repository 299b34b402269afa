package devstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/util/keys"

	"github.com/switchboard-gw/switchboard/shared/secretbox"
)

// Why here and how: whatsmeow's sqlstore writes a device's private keys
// (noise_key, identity_key, signed_pre_key, adv_key) with its own SQL into
// whatsmeow_device, whose columns carry CHECK (length(...) = 32), so they
// cannot hold a ciphertext. Its only hook is store.DeviceContainer, the
// interface every Device.Save and Device.Delete goes through. sealedKeys
// implements it: the real keys go sealed into switchboard_device_keys and
// whatsmeow gets a copy of the device with zeroed keys to store; loading
// restores them (devstore.DeviceFor). Signal sessions, sender keys,
// app-state keys and message secrets are sealed by the store wrappers of
// sealedstores.go; one-time pre-keys stay in plaintext (whatsmeow generates
// and inserts them itself into a CHECK (length = 32) column).

const (
	upsertKeysQuery = `
		INSERT INTO switchboard_device_keys (device_jid, sealed) VALUES ($1, $2)
		ON CONFLICT (device_jid) DO UPDATE SET sealed=excluded.sealed`
	deleteKeysQuery = `DELETE FROM switchboard_device_keys WHERE device_jid=$1`
	// blankKeysQuery overwrites keys that whatsmeow's upsert never updates
	// (a device stored before a master key was configured).
	blankKeysQuery = `
		UPDATE whatsmeow_device SET noise_key=$2, identity_key=$2, signed_pre_key=$2, adv_key=$2 WHERE jid=$1`
	forgetKeysQuery = `
		DELETE FROM switchboard_device_keys WHERE device_jid IN
			(SELECT device_jid FROM switchboard_session_devices WHERE tenant=$1 AND session=$2)`
	orphanKeysQuery = `
		DELETE FROM switchboard_device_keys
		WHERE NOT EXISTS (SELECT 1 FROM whatsmeow_device d WHERE d.jid = switchboard_device_keys.device_jid)`
)

// sealedLen is the plaintext of a sealed key set: noise, identity and
// signed pre-key private keys, then the ADV secret (32 bytes each).
// sealedLenWithPubs adds the three public keys: loading a device then needs
// no curve multiplications to derive them (three per device, a measurable
// share of a restart that loads thousands). Both forms load.
const (
	sealedLen         = 4 * 32
	sealedLenWithPubs = sealedLen + 3*32
)

var zeroKey = make([]byte, 32)

// errKeysMissing means a device's keys were sealed but the sealed row is gone.
var errKeysMissing = errors.New("devstore: device keys are zeroed and their sealed copy is missing")

// sealedKeys is the DeviceContainer of devices when a master key is set.
type sealedKeys struct{ s *Store }

var _ store.DeviceContainer = sealedKeys{}

// SetBox makes the store seal device private keys with box (nil: keys stay
// in whatsmeow_device as whatsmeow writes them). Call it before any device
// is loaded or created.
func (s *Store) SetBox(box *secretbox.Box) { s.box = box }

func keysAD(jid string) []byte { return []byte("whatsmeow_device/" + jid) }

// PutDevice seals dev's private keys into switchboard_device_keys, then
// lets whatsmeow store a copy of dev with zeroed keys, in one transaction.
func (k sealedKeys) PutDevice(ctx context.Context, dev *store.Device) error {
	if dev.ID == nil {
		return k.s.container.PutDevice(ctx, dev) // whatsmeow's error
	}
	return k.s.ours.DoTxn(ctx, nil, func(ctx context.Context) error { return k.putDevice(ctx, dev) })
}

func (k sealedKeys) putDevice(ctx context.Context, dev *store.Device) error {
	jid := dev.ID.String()
	plain := make([]byte, 0, sealedLenWithPubs)
	plain = append(plain, dev.NoiseKey.Priv[:]...)
	plain = append(plain, dev.IdentityKey.Priv[:]...)
	plain = append(plain, dev.SignedPreKey.Priv[:]...)
	plain = append(plain, dev.AdvSecretKey...)
	plain = append(plain, dev.NoiseKey.Pub[:]...)
	plain = append(plain, dev.IdentityKey.Pub[:]...)
	plain = append(plain, dev.SignedPreKey.Pub[:]...)
	if len(plain) != sealedLenWithPubs {
		return fmt.Errorf("devstore: device keys have %d bytes, want %d", len(plain), sealedLenWithPubs)
	}
	sealed, err := k.s.box.Seal(plain, keysAD(jid))
	if err != nil {
		return fmt.Errorf("devstore: seal device keys: %w", err)
	}
	if _, err := k.s.ours.Exec(ctx, upsertKeysQuery, jid, sealed); err != nil {
		return fmt.Errorf("devstore: store device keys: %w", err)
	}
	shadow := *dev
	shadow.NoiseKey = &keys.KeyPair{Pub: dev.NoiseKey.Pub, Priv: new([32]byte)}
	shadow.IdentityKey = &keys.KeyPair{Pub: dev.IdentityKey.Pub, Priv: new([32]byte)}
	spk := *dev.SignedPreKey
	spk.KeyPair = keys.KeyPair{Pub: dev.SignedPreKey.Pub, Priv: new([32]byte)}
	shadow.SignedPreKey = &spk
	shadow.AdvSecretKey = zeroKey
	if err := k.s.container.PutDevice(ctx, &shadow); err != nil {
		return err
	}
	if _, err := k.s.ours.Exec(ctx, blankKeysQuery, jid, zeroKey); err != nil {
		return fmt.Errorf("devstore: blank device keys: %w", err)
	}
	if !dev.Initialized {
		// whatsmeow initialised the copy (its stores for this JID).
		dev.Identities, dev.Sessions, dev.PreKeys = shadow.Identities, shadow.Sessions, shadow.PreKeys
		dev.SenderKeys, dev.AppStateKeys, dev.AppState = shadow.SenderKeys, shadow.AppStateKeys, shadow.AppState
		dev.Contacts, dev.ChatSettings, dev.MsgSecrets = shadow.Contacts, shadow.ChatSettings, shadow.MsgSecrets
		dev.PrivacyTokens, dev.EventBuffer = shadow.PrivacyTokens, shadow.EventBuffer
		if dev.LIDs == nil { // a LID map the caller gave the device is kept
			dev.LIDs = shadow.LIDs
		}
		dev.Container, dev.Initialized = k, true
		k.s.wrapStores(dev)
	}
	return nil
}

// DeleteDevice deletes the device and its sealed keys. The device's ID is
// read once: whatsmeow deletes a device from its event goroutine when the
// server removes it (a device_removed stream error, which a logout
// provokes) while the session's own logout may delete it too, and each
// Device.Delete clears the ID when it is done.
func (k sealedKeys) DeleteDevice(ctx context.Context, dev *store.Device) error {
	id := dev.ID
	if id == nil {
		return sqlstore.ErrDeviceIDMustBeSet
	}
	if err := k.s.container.DeleteDevice(ctx, &store.Device{ID: id}); err != nil { // it deletes by ID only
		return err
	}
	if _, err := k.s.ours.Exec(ctx, deleteKeysQuery, id.String()); err != nil {
		return fmt.Errorf("devstore: delete device keys: %w", err)
	}
	return nil
}

// unseal restores the private keys of a device loaded from whatsmeow_device
// from sealed, its row of switchboard_device_keys (nil: none). A device
// stored before the master key was set, or sealed with a previous key, is
// sealed with the current key now.
func (s *Store) unseal(ctx context.Context, dev *store.Device, sealed []byte) error {
	jid := dev.ID.String()
	switch {
	case sealed == nil:
		if bytes.Equal(dev.NoiseKey.Priv[:], zeroKey) {
			return errKeysMissing
		}
		if s.box == nil {
			return nil // plaintext, as whatsmeow stores it
		}
		dev.Container = sealedKeys{s}
		s.sealStores(dev)
		return sealedKeys{s}.PutDevice(ctx, dev) // migrate: seal and blank
	}
	plain, err := s.box.Open(sealed, keysAD(jid))
	if err != nil {
		return fmt.Errorf("devstore: open device keys of %s: %w", jid, err)
	}
	switch len(plain) {
	case sealedLenWithPubs:
		dev.NoiseKey = keyPair(plain[0:32], plain[128:160])
		dev.IdentityKey = keyPair(plain[32:64], plain[160:192])
		dev.SignedPreKey.KeyPair = *keyPair(plain[64:96], plain[192:224])
	case sealedLen: // sealed before the public keys were kept
		dev.NoiseKey = keys.NewKeyPairFromPrivateKey([32]byte(plain[0:32]))
		dev.IdentityKey = keys.NewKeyPairFromPrivateKey([32]byte(plain[32:64]))
		dev.SignedPreKey.KeyPair = *keys.NewKeyPairFromPrivateKey([32]byte(plain[64:96]))
	default:
		return fmt.Errorf("devstore: sealed device keys have %d bytes", len(plain))
	}
	dev.AdvSecretKey = bytes.Clone(plain[96:128])
	if s.box != nil {
		dev.Container = sealedKeys{s}
		s.sealStores(dev)
		if s.box.NeedsReseal(sealed) { // sealed with a previous key
			return sealedKeys{s}.PutDevice(ctx, dev)
		}
	}
	return nil
}

// keyPair copies a private and a public key out of a sealed plaintext.
func keyPair(priv, pub []byte) *keys.KeyPair {
	return &keys.KeyPair{Priv: (*[32]byte)(bytes.Clone(priv)), Pub: (*[32]byte)(bytes.Clone(pub))}
}

// plainKeys is the DeviceContainer of new devices when no master key is set:
// whatsmeow's, plus the identity cache and batched pre-keys (prekeys.go) once
// pairing initialised the device, which keeps a LID map its caller gave it.
type plainKeys struct{ s *Store }

var _ store.DeviceContainer = plainKeys{}

func (k plainKeys) PutDevice(ctx context.Context, dev *store.Device) error {
	fresh, lids := !dev.Initialized, dev.LIDs
	if err := k.s.container.PutDevice(ctx, dev); err != nil {
		return err
	}
	if fresh {
		if lids != nil { // a LID map the caller gave the device is kept
			dev.LIDs = lids
		}
		k.s.wrapStores(dev)
	}
	return nil
}

func (k plainKeys) DeleteDevice(ctx context.Context, dev *store.Device) error {
	return k.s.container.DeleteDevice(ctx, dev)
}

// wrapStores puts Switchboard's layers over an initialised device's stores,
// each once: sealing (with a master key), the identity cache, batched
// pre-keys.
func (s *Store) wrapStores(dev *store.Device) {
	s.sealStores(dev)
	cacheStores(dev)
	s.batchPreKeys(dev)
}
