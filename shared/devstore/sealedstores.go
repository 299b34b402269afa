package devstore

import (
	"context"

	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"

	"github.com/switchboard-gw/switchboard/shared/secretbox"
)

// Blob stores of a device whose values are sealed with the master key:
// Signal sessions (ratchet state), sender keys, app-state sync keys and
// message secrets. whatsmeow stores these as opaque blobs without length
// checks, behind interfaces of store.Device, so they are wrapped there. The
// associated data names the device and the store, not the row's address:
// whatsmeow moves sessions between addresses in SQL (MigratePNToLID).
// Values written before a key was set are read as they are.

type sealedSessions struct {
	store.SessionStore
	box *secretbox.Box
	ad  []byte
}

func (s sealedSessions) GetSession(ctx context.Context, address string) ([]byte, error) {
	b, err := s.SessionStore.GetSession(ctx, address)
	if err != nil || b == nil {
		return b, err
	}
	return s.box.Open(b, s.ad)
}

func (s sealedSessions) GetManySessions(ctx context.Context, addresses []string) (map[string][]byte, error) {
	m, err := s.SessionStore.GetManySessions(ctx, addresses)
	if err != nil {
		return m, err
	}
	for k, b := range m {
		if b != nil {
			if m[k], err = s.box.Open(b, s.ad); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (s sealedSessions) PutSession(ctx context.Context, address string, session []byte) error {
	b, err := s.box.Seal(session, s.ad)
	if err != nil {
		return err
	}
	return s.SessionStore.PutSession(ctx, address, b)
}

func (s sealedSessions) PutManySessions(ctx context.Context, sessions map[string][]byte) error {
	sealed := make(map[string][]byte, len(sessions))
	for k, v := range sessions {
		b, err := s.box.Seal(v, s.ad)
		if err != nil {
			return err
		}
		sealed[k] = b
	}
	return s.SessionStore.PutManySessions(ctx, sealed)
}

type sealedSenderKeys struct {
	store.SenderKeyStore
	box *secretbox.Box
	ad  []byte
}

func (s sealedSenderKeys) PutSenderKey(ctx context.Context, group, user string, session []byte) error {
	b, err := s.box.Seal(session, s.ad)
	if err != nil {
		return err
	}
	return s.SenderKeyStore.PutSenderKey(ctx, group, user, b)
}

func (s sealedSenderKeys) GetSenderKey(ctx context.Context, group, user string) ([]byte, error) {
	b, err := s.SenderKeyStore.GetSenderKey(ctx, group, user)
	if err != nil || b == nil {
		return b, err
	}
	return s.box.Open(b, s.ad)
}

type sealedAppStateKeys struct {
	store.AppStateSyncKeyStore
	box *secretbox.Box
	ad  []byte
}

func (s sealedAppStateKeys) PutAppStateSyncKey(ctx context.Context, id []byte, key store.AppStateSyncKey) error {
	b, err := s.box.Seal(key.Data, s.ad)
	if err != nil {
		return err
	}
	key.Data = b
	return s.AppStateSyncKeyStore.PutAppStateSyncKey(ctx, id, key)
}

func (s sealedAppStateKeys) GetAppStateSyncKey(ctx context.Context, id []byte) (*store.AppStateSyncKey, error) {
	k, err := s.AppStateSyncKeyStore.GetAppStateSyncKey(ctx, id)
	if err != nil || k == nil {
		return k, err
	}
	out := *k
	if out.Data, err = s.box.Open(k.Data, s.ad); err != nil {
		return nil, err
	}
	return &out, nil
}

type sealedMsgSecrets struct {
	store.MsgSecretStore
	box *secretbox.Box
	ad  []byte
}

func (s sealedMsgSecrets) PutMessageSecrets(ctx context.Context, inserts []store.MessageSecretInsert) error {
	sealed := make([]store.MessageSecretInsert, len(inserts))
	for i, in := range inserts {
		b, err := s.box.Seal(in.Secret, s.ad)
		if err != nil {
			return err
		}
		in.Secret = b
		sealed[i] = in
	}
	return s.MsgSecretStore.PutMessageSecrets(ctx, sealed)
}

func (s sealedMsgSecrets) PutMessageSecret(ctx context.Context, chat, sender types.JID, id types.MessageID, secret []byte) error {
	b, err := s.box.Seal(secret, s.ad)
	if err != nil {
		return err
	}
	return s.MsgSecretStore.PutMessageSecret(ctx, chat, sender, id, b)
}

func (s sealedMsgSecrets) GetMessageSecret(ctx context.Context, chat, sender types.JID, id types.MessageID) ([]byte, types.JID, error) {
	b, who, err := s.MsgSecretStore.GetMessageSecret(ctx, chat, sender, id)
	if err != nil || b == nil {
		return b, who, err
	}
	b, err = s.box.Open(b, s.ad)
	return b, who, err
}

// sealStores wraps the blob stores of an initialised device (once).
func (s *Store) sealStores(dev *store.Device) {
	if s.box == nil || dev.ID == nil {
		return
	}
	// Sessions may carry the identity cache's wrapper on top: test SenderKeys.
	if _, done := dev.SenderKeys.(sealedSenderKeys); done {
		return
	}
	jid := dev.ID.String()
	ad := func(what string) []byte { return []byte("whatsmeow/" + jid + "/" + what) }
	dev.Sessions = sealedSessions{dev.Sessions, s.box, ad("sessions")}
	dev.SenderKeys = sealedSenderKeys{dev.SenderKeys, s.box, ad("sender_keys")}
	dev.AppStateKeys = sealedAppStateKeys{dev.AppStateKeys, s.box, ad("app_state_sync_keys")}
	dev.MsgSecrets = sealedMsgSecrets{dev.MsgSecrets, s.box, ad("message_secrets")}
}
