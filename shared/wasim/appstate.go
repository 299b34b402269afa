package wasim

import (
	"crypto/rand"
	"fmt"
	"time"

	"go.mau.fi/whatsmeow/proto/waServerSync"
	"google.golang.org/protobuf/proto"
)

// App-state collections, in the order whatsmeow fetches them
// (appstate.AllPatchNames). Only critical_block has content: the push name.
const (
	collCriticalBlock      = "critical_block"
	collCriticalUnblockLow = "critical_unblock_low"
	collRegularHigh        = "regular_high"
	collRegular            = "regular"
	collRegularLow         = "regular_low"
	appStateKeyIDSize      = 6
	appStateKeyDataSize    = 32
)

// knownCollection reports whether name is one of the five collections.
func knownCollection(name string) bool {
	switch name {
	case collCriticalBlock, collCriticalUnblockLow, collRegularHigh, collRegular, collRegularLow:
		return true
	}
	return false
}

// appState is what a phone shares with its companions through app-state
// sync: one sync key and the critical_block collection, which holds a
// single record (setting_pushName). Guarded by Server.mu.
//
// Only the latest patch is kept. With one record that is enough for every
// client: LTHash is a sum, so after any history it is the hash of the
// current value MAC alone, and the latest patch takes a client at any older
// version (or at 0, after a full sync reset) to exactly that state.
type appState struct {
	keyID   []byte
	keyData []byte
	keyTime int64 // unix ms, the key's timestamp in the share
	keys    appKeys
	version uint64
	ltHash  [128]byte
	name    string                   // push name of the latest patch
	latest  *waServerSync.SyncdPatch // version == version; nil before the first
}

func newAppState() *appState {
	st := &appState{
		keyID:   make([]byte, appStateKeyIDSize),
		keyData: make([]byte, appStateKeyDataSize),
		keyTime: time.Now().UnixMilli(),
	}
	_, _ = rand.Read(st.keyID)
	_, _ = rand.Read(st.keyData)
	st.keys = expandAppKeys(st.keyData)
	return st
}

// appStateLocked returns the account's app state, creating it and adding a
// patch whenever the account's push name differs from the latest patch.
// The caller holds s.mu.
func (s *Server) appStateLocked(a *account) (*appState, error) {
	if a.app == nil {
		a.app = newAppState()
	}
	st := a.app
	if st.latest == nil || st.name != a.pushName {
		if err := st.setPushName(a.pushName, time.Now()); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// setPushName adds patch version+1 with one setting_pushName SET, built like
// whatsmeow's EncodePatch(BuildSettingPushName(name)) plus the version it
// stores: the hash drops the previous value MAC of the record and adds the
// new one, then the snapshot and patch MACs seal version and collection.
func (st *appState) setPushName(name string, at time.Time) error {
	m, err := encodeSet(st.keys, st.keyID, []string{indexSettingPushName}, pushNameActionVersion, pushNameValue(name, at))
	if err != nil {
		return err
	}
	var removed [][]byte
	if st.latest != nil {
		prev := st.latest.GetMutations()[0].GetRecord().GetValue().GetBlob()
		removed = append(removed, prev[len(prev)-32:])
	}
	next := st.ltHash
	ltHashUpdate(&next, removed, [][]byte{m.valueMAC})
	version := st.version + 1
	snap := snapshotMAC(next[:], version, collCriticalBlock, st.keys.snapshotMAC)
	patch := &waServerSync.SyncdPatch{
		Version:     &waServerSync.SyncdVersion{Version: proto.Uint64(version)},
		Mutations:   []*waServerSync.SyncdMutation{m.m},
		SnapshotMAC: snap,
		PatchMAC:    patchMAC(snap, [][]byte{m.valueMAC}, version, collCriticalBlock, st.keys.patchMAC),
		KeyID:       &waServerSync.KeyId{ID: st.keyID},
	}
	st.ltHash, st.version, st.name, st.latest = next, version, name, patch
	return nil
}

// patchFor returns the encoded patch that takes a client from version
// `from` to the current one, nil when it is current. corrupt flips a byte
// of the patch MAC (fault injection); the stored patch stays intact.
func (st *appState) patchFor(from uint64, corrupt bool) ([]byte, error) {
	if st.latest == nil || from >= st.version {
		return nil, nil
	}
	p := st.latest
	if corrupt {
		p = proto.Clone(p).(*waServerSync.SyncdPatch)
		p.PatchMAC[0] ^= 0xff
	}
	b, err := proto.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("wasim: marshal patch: %w", err)
	}
	return b, nil
}
