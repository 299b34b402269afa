package wasim

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash"
	"time"

	"go.mau.fi/whatsmeow/appstate/lthash"
	"go.mau.fi/whatsmeow/proto/waServerSync"
	"go.mau.fi/whatsmeow/proto/waSyncAction"
	"go.mau.fi/whatsmeow/util/cbcutil"
	"go.mau.fi/whatsmeow/util/hkdfutil"
	"google.golang.org/protobuf/proto"
)

// The app-state encoder mirrors whatsmeow's appstate package at the pinned
// version (encode.go EncodePatch, keys.go expandAppStateKeys, hash.go MACs):
// the client validates every MAC, so a guess would be rejected.

// indexSettingPushName is appstate.IndexSettingPushName.
const indexSettingPushName = "setting_pushName"

// pushNameActionVersion is the SyncActionData version of BuildSettingPushName.
const pushNameActionVersion = 1

// appKeys are the five keys expanded from one app-state sync key.
type appKeys struct {
	index, valueEnc, valueMAC, snapshotMAC, patchMAC []byte
}

// expandAppKeys is keys.go expandAppStateKeys.
func expandAppKeys(keyData []byte) appKeys {
	k := hkdfutil.SHA256(keyData, nil, []byte("WhatsApp Mutation Keys"), 160)
	return appKeys{k[0:32], k[32:64], k[64:96], k[96:128], k[128:160]}
}

func hmacOf(alg func() hash.Hash, key []byte, data ...[]byte) []byte {
	h := hmac.New(alg, key)
	for _, d := range data {
		h.Write(d)
	}
	return h.Sum(nil)
}

func uint64BE(v uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, v)
}

// contentMAC is hash.go generateContentMAC.
func contentMAC(op waServerSync.SyncdMutation_SyncdOperation, data, keyID, key []byte) []byte {
	return hmacOf(sha512.New, key, []byte{byte(op) + 1}, keyID, data, uint64BE(uint64(len(keyID)+1)))[:32]
}

// snapshotMAC is hash.go generateSnapshotMAC.
func snapshotMAC(ltHash []byte, version uint64, collection string, key []byte) []byte {
	return hmacOf(sha256.New, key, ltHash, uint64BE(version), []byte(collection))
}

// patchMAC is hash.go generatePatchMAC.
func patchMAC(snapMAC []byte, valueMACs [][]byte, version uint64, collection string, key []byte) []byte {
	data := make([][]byte, 0, len(valueMACs)+3)
	data = append(data, snapMAC)
	data = append(data, valueMACs...)
	data = append(data, uint64BE(version), []byte(collection))
	return hmacOf(sha256.New, key, data...)
}

// setMutation is one encrypted SET mutation with the MACs the hash needs.
type setMutation struct {
	m        *waServerSync.SyncdMutation
	indexMAC []byte
	valueMAC []byte
}

// encodeSet encrypts one SET mutation like EncodePatch: SyncActionData with
// the JSON index, AES-256-CBC with a random IV, the value MAC appended.
func encodeSet(keys appKeys, keyID []byte, index []string, version int32, value *waSyncAction.SyncActionValue) (setMutation, error) {
	indexJSON, err := json.Marshal(index)
	if err != nil {
		return setMutation{}, fmt.Errorf("wasim: app state index: %w", err)
	}
	plain, err := proto.Marshal(&waSyncAction.SyncActionData{
		Index: indexJSON, Value: value, Padding: []byte{}, Version: proto.Int32(version),
	})
	if err != nil {
		return setMutation{}, fmt.Errorf("wasim: app state action: %w", err)
	}
	enc, err := cbcutil.Encrypt(keys.valueEnc, nil, plain)
	if err != nil {
		return setMutation{}, fmt.Errorf("wasim: app state encrypt: %w", err)
	}
	valueMAC := contentMAC(waServerSync.SyncdMutation_SET, enc, keyID, keys.valueMAC)
	indexMAC := hmacOf(sha256.New, keys.index, indexJSON)
	return setMutation{
		m: &waServerSync.SyncdMutation{
			Operation: waServerSync.SyncdMutation_SET.Enum(),
			Record: &waServerSync.SyncdRecord{
				Index: &waServerSync.SyncdIndex{Blob: indexMAC},
				Value: &waServerSync.SyncdValue{Blob: append(enc, valueMAC...)},
				KeyID: &waServerSync.KeyId{ID: keyID},
			},
		},
		indexMAC: indexMAC,
		valueMAC: valueMAC,
	}, nil
}

// pushNameValue is the value of BuildSettingPushName, stamped like EncodePatch.
func pushNameValue(name string, at time.Time) *waSyncAction.SyncActionValue {
	return &waSyncAction.SyncActionValue{
		Timestamp:       proto.Int64(at.UnixMilli()),
		PushNameSetting: &waSyncAction.PushNameSetting{Name: proto.String(name)},
	}
}

// ltHashUpdate is hash.go updateHash for SET mutations: subtract the value
// MACs being overwritten, add the new ones.
func ltHashUpdate(state *[128]byte, removed, added [][]byte) {
	lthash.WAPatchIntegrity.SubtractThenAddInPlace(state[:], removed, added)
}
