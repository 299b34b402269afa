package wasim

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.mau.fi/libsignal/protocol"
	"go.mau.fi/libsignal/session"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
)

// shareAppStateKey sends the account's app-state sync key to the logged-in
// device of c, once per device, as the phone does after linking: an
// APP_STATE_SYNC_KEY_SHARE protocol message in a Signal message from the
// account's device 0 (category "peer"). whatsmeow trusts the account's ADV
// signature key for that device, which is the phone's Signal identity here.
// The client stores the key and fetches the five collections. A failed send
// is retried on the device's next login.
func (s *Server) shareAppStateKey(ctx context.Context, c *conn) {
	s.mu.Lock()
	dev := c.dev
	if dev == nil || dev.keyShared {
		s.mu.Unlock()
		return
	}
	a := dev.acct
	st, err := s.appStateLocked(a)
	if err != nil {
		s.mu.Unlock()
		s.log.Error("app state not built", zap.Error(err))
		return
	}
	if a.sender == nil {
		a.sender = newSender(a)
	}
	dev.keyShared = true
	msg := keyShareMessage(st, a.rawID)
	s.mu.Unlock()

	err = s.sendPeer(ctx, a, target{dev: dev, conn: c}, msg)
	if err != nil {
		s.mu.Lock()
		dev.keyShared = false
		s.mu.Unlock()
		s.log.Debug("app state key share failed", zap.Stringer("jid", dev.jid), zap.Error(err))
		return
	}
	s.stats.keyShares.Add(1)
}

// keyShareMessage is the protocol message carrying the sync key.
func keyShareMessage(st *appState, rawID uint32) *waE2E.Message {
	return &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
		Type: waE2E.ProtocolMessage_APP_STATE_SYNC_KEY_SHARE.Enum(),
		AppStateSyncKeyShare: &waE2E.AppStateSyncKeyShare{Keys: []*waE2E.AppStateSyncKey{{
			KeyID: &waE2E.AppStateSyncKeyId{KeyID: st.keyID},
			KeyData: &waE2E.AppStateSyncKeyData{
				KeyData: st.keyData,
				Fingerprint: &waE2E.AppStateSyncKeyFingerprint{
					RawID: proto.Uint32(rawID), CurrentIndex: proto.Uint32(0), DeviceIndexes: []uint32{0},
				},
				Timestamp: proto.Int64(st.keyTime),
			},
		}}},
	}}
}

// sendPeer encrypts msg from the account's device 0 to one of its own
// companions and sends it as a peer message. Like sendDM it builds the
// Signal session from the companion's prekey bundle on first use.
func (s *Server) sendPeer(ctx context.Context, a *account, t target, msg *waE2E.Message) error {
	body, err := proto.Marshal(msg)
	if err != nil {
		return fmt.Errorf("wasim: marshal peer message: %w", err)
	}
	snd := a.sender
	addr := t.dev.jid.SignalAddress()
	snd.mu.Lock()
	builder := session.NewBuilder(snd, snd, snd, snd, addr, signalSerializer)
	if _, ok := snd.sessions[addr.String()]; !ok {
		bundle, _ := s.takeBundle(t.dev)
		if err := builder.ProcessBundle(ctx, bundle); err != nil {
			snd.mu.Unlock()
			return fmt.Errorf("wasim: process bundle: %w", err)
		}
	}
	ct, err := session.NewCipher(builder, addr).Encrypt(ctx, padMessage(body))
	snd.mu.Unlock()
	if err != nil {
		return fmt.Errorf("wasim: encrypt: %w", err)
	}
	encType := "msg"
	if ct.Type() == protocol.PREKEY_TYPE {
		encType = "pkmsg"
	}
	return t.conn.sendNode(waBinary.Node{
		Tag: "message",
		Attrs: waBinary.Attrs{
			"from":     types.NewJID(a.phone, types.DefaultUserServer),
			"id":       newMessageID(),
			"t":        strconv.FormatInt(time.Now().Unix(), 10),
			"type":     "text",
			"category": "peer",
		},
		Content: []waBinary.Node{{
			Tag:     "enc",
			Attrs:   waBinary.Attrs{"v": "2", "type": encType},
			Content: ct.Serialize(),
		}},
	})
}
