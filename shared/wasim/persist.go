package wasim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"go.mau.fi/whatsmeow/util/keys"
	"go.uber.org/zap"
)

// persistEvery is how often a running simulator with a StateFile writes its
// registry when it changed; Stop writes it once more.
const persistEvery = time.Second

// stateVersion is the format version of the state file.
const stateVersion = 1

// savedState is the state file: the Noise root key and every account with
// its linked devices, so a restarted simulator still knows the devices its
// clients hold keys for. Connections, pending pairings and the phones'
// Signal sender sessions are not kept.
type savedState struct {
	Version  int            `json:"version"`
	RootKey  []byte         `json:"root_key"`
	NextLID  uint64         `json:"next_lid"`
	Accounts []savedAccount `json:"accounts"`
}

type savedAccount struct {
	Phone        string        `json:"phone"`
	PushName     string        `json:"push_name"`
	LID          string        `json:"lid"`
	IdentityPriv []byte        `json:"identity_priv"`
	RawID        uint32        `json:"raw_id"`
	RegID        uint32        `json:"reg_id"`
	NextDevice   int           `json:"next_device"`
	Devices      []savedDevice `json:"devices"`
}

type savedDevice struct {
	Index       uint16        `json:"index"`
	NoisePub    []byte        `json:"noise_pub"`
	IdentityPub []byte        `json:"identity_pub"`
	RegID       uint32        `json:"reg_id"`
	SignedKey   savedPrekey   `json:"signed_prekey"`
	OTKs        []savedPrekey `json:"otks,omitempty"`
	Prekeys     int           `json:"prekeys"`
	Uploaded    bool          `json:"uploaded"`
	Removed     bool          `json:"removed"`
	FailReason  int           `json:"fail_reason,omitempty"`
}

type savedPrekey struct {
	ID  uint32 `json:"id"`
	Pub []byte `json:"pub"`
	Sig []byte `json:"sig,omitempty"`
}

// loadState reads the state file at path into s (called by New, before
// anything runs). A missing file is a first start. It returns the root key
// to use: the saved one, or a new one that the next save keeps.
func (s *Server) loadState(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		root := make([]byte, 32)
		_, _ = rand.Read(root)
		return root, nil
	} else if err != nil {
		return nil, fmt.Errorf("wasim: read state: %w", err)
	}
	var st savedState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("wasim: state file %s: %w", path, err)
	}
	if st.Version != stateVersion || len(st.RootKey) != 32 {
		return nil, fmt.Errorf("wasim: state file %s: unsupported version %d or bad root key", path, st.Version)
	}
	s.nextLID = max(st.NextLID, s.cfg.FirstLID)
	for _, sa := range st.Accounts {
		if len(sa.IdentityPriv) != 32 {
			return nil, fmt.Errorf("wasim: state file %s: account %s: bad identity key", path, sa.Phone)
		}
		a := &account{
			phone: sa.Phone, pushName: sa.PushName, lid: sa.LID,
			identity: keys.NewKeyPairFromPrivateKey([32]byte(sa.IdentityPriv)),
			rawID:    sa.RawID, regID: sa.RegID, nextDevice: sa.NextDevice,
			devices: make(map[uint16]*device, len(sa.Devices)),
		}
		for _, sd := range sa.Devices {
			if len(sd.NoisePub) != 32 || len(sd.IdentityPub) != 32 {
				return nil, fmt.Errorf("wasim: state file %s: device %s:%d: bad keys", path, sa.Phone, sd.Index)
			}
			d := &device{
				acct: a, index: sd.Index, jid: a.jid(sd.Index), lid: a.lidJID(sd.Index),
				noisePub: [32]byte(sd.NoisePub), identityPub: [32]byte(sd.IdentityPub), regID: sd.RegID,
				skey:    sd.SignedKey.rec(),
				prekeys: sd.Prekeys, uploaded: sd.Uploaded, removed: sd.Removed, failReason: sd.FailReason,
			}
			for _, k := range sd.OTKs {
				d.otks = append(d.otks, k.rec())
			}
			a.devices[sd.Index] = d
		}
		s.accounts[a.phone] = a
		s.lids[a.lid] = a
	}
	s.persisted = b
	return st.RootKey, nil
}

func (p savedPrekey) rec() prekeyRec {
	r := prekeyRec{id: p.ID}
	copy(r.pub[:], p.Pub)
	copy(r.sig[:], p.Sig)
	return r
}

func savePrekey(r prekeyRec, withSig bool) savedPrekey {
	p := savedPrekey{ID: r.id, Pub: bytes.Clone(r.pub[:])}
	if withSig {
		p.Sig = bytes.Clone(r.sig[:])
	}
	return p
}

// snapshotLocked builds the state file's content; s.mu must be held.
func (s *Server) snapshotLocked() savedState {
	s.stats.snapshots.Add(1)
	st := savedState{Version: stateVersion, RootKey: s.rootKey, NextLID: s.nextLID, Accounts: make([]savedAccount, 0, len(s.accounts))}
	for _, a := range s.accounts {
		sa := savedAccount{
			Phone: a.phone, PushName: a.pushName, LID: a.lid, IdentityPriv: bytes.Clone(a.identity.Priv[:]),
			RawID: a.rawID, RegID: a.regID, NextDevice: a.nextDevice,
		}
		for _, d := range a.devices {
			sd := savedDevice{
				Index: d.index, NoisePub: bytes.Clone(d.noisePub[:]), IdentityPub: bytes.Clone(d.identityPub[:]),
				RegID: d.regID, SignedKey: savePrekey(d.skey, true),
				Prekeys: d.prekeys, Uploaded: d.uploaded, Removed: d.removed, FailReason: d.failReason,
			}
			for _, k := range d.otks {
				sd.OTKs = append(sd.OTKs, savePrekey(k, false))
			}
			sa.Devices = append(sa.Devices, sd)
		}
		st.Accounts = append(st.Accounts, sa)
	}
	return st
}

// saveState writes the registry to Config.StateFile when it changed since
// the last write: to a temporary file (0600) renamed over the old one, so a
// crash never leaves half a file.
func (s *Server) saveState() error {
	path := s.cfg.StateFile
	if path == "" {
		return nil
	}
	s.persistMu.Lock()
	defer s.persistMu.Unlock()
	if s.persisted != nil && s.mu.unlocks.Load() == s.savedUnlocks {
		return nil // nobody held the registry since the last snapshot
	}
	s.mu.Lock()
	after := s.mu.unlocks.Load() + 1 // the count once this holder unlocks
	st := s.snapshotLocked()
	s.mu.Unlock()
	// Map order varies; sort for a stable file (and a cheap change check).
	sortState(&st)
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("wasim: encode state: %w", err)
	}
	if bytes.Equal(b, s.persisted) {
		s.savedUnlocks = after
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".wasim-state-*")
	if err != nil {
		return fmt.Errorf("wasim: write state: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("wasim: write state: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("wasim: write state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("wasim: write state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("wasim: write state: %w", err)
	}
	s.persisted, s.savedUnlocks = b, after
	return nil
}

// persistLoop saves the registry every persistEvery until ctx ends.
func (s *Server) persistLoop(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(persistEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.saveState(); err != nil {
				s.log.Warn("state not saved", zap.Error(err))
			}
		}
	}
}
