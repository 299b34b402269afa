package wasim

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/libsignal/keys/identity"
	"go.mau.fi/libsignal/keys/prekey"
	"go.mau.fi/libsignal/protocol"
	"go.mau.fi/libsignal/session"
	"go.mau.fi/libsignal/util/optional"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// maxUnacked bounds the pkmsg ids remembered per device while waiting for receipts.
const maxUnacked = 256

// target is one live device connection a message goes to.
type target struct {
	dev  *device
	conn *conn
}

// SendText delivers a text message and returns how many device connections
// received it.
//
// to is a device JID (PHONE:N@s.whatsapp.net or LID:N@lid) or a phone number
// ("+…" optional): a phone gets the message on every logged-in device.
// from is a phone number — the message is a Signal DM (pkmsg, then msg once
// the device sent a receipt) built from the device's uploaded prekeys — or a
// newsletter JID (…@newsletter) for a plaintext newsletter message.
//
// Errors: ErrInvalidInput, ErrUnknownDevice, ErrDeviceOffline (device JID
// not live), ErrNoLiveDevice (phone without a live device).
func (s *Server) SendText(ctx context.Context, to, from, text string) (int, error) {
	if text == "" {
		return 0, fmt.Errorf("%w: empty text", ErrInvalidInput)
	}
	body, err := proto.Marshal(&waE2E.Message{Conversation: proto.String(text)})
	if err != nil {
		return 0, fmt.Errorf("wasim: marshal message: %w", err)
	}
	if strings.HasSuffix(from, "@"+types.NewsletterServer) {
		nl, err := types.ParseJID(from)
		if err != nil || nl.User == "" {
			return 0, fmt.Errorf("%w: newsletter jid %q", ErrInvalidInput, from)
		}
		targets, err := s.targets(to)
		if err != nil {
			return 0, err
		}
		return s.deliver(targets, func(t target) error { return s.sendNewsletter(t, nl, body) })
	}
	fromPhone, err := normalizePhone(strings.TrimSuffix(from, "@"+types.DefaultUserServer))
	if err != nil {
		return 0, err
	}
	targets, err := s.targets(to)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	sa := s.accountLocked(fromPhone, "")
	if sa.sender == nil {
		sa.sender = newSender(sa)
	}
	for _, t := range targets {
		if t.dev.acct == sa {
			s.mu.Unlock()
			return 0, fmt.Errorf("%w: from and to are the same account", ErrInvalidInput)
		}
	}
	s.mu.Unlock()
	return s.deliver(targets, func(t target) error { return s.sendDM(ctx, sa, t, body) })
}

func (s *Server) deliver(targets []target, send func(target) error) (int, error) {
	n := 0
	for _, t := range targets {
		if err := send(t); err != nil {
			if n == 0 {
				return 0, err
			}
			continue
		}
		n++
		s.stats.messages.Add(1)
	}
	return n, nil
}

// targets resolves to into live device connections.
func (s *Server) targets(to string) ([]target, error) {
	if strings.Contains(to, "@") {
		dev, c, err := s.liveConn(to)
		if err != nil {
			return nil, err
		}
		if c == nil {
			return nil, fmt.Errorf("%w: %s", ErrDeviceOffline, to)
		}
		return []target{{dev: dev, conn: c}}, nil
	}
	phone, err := normalizePhone(to)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []target
	if a := s.accounts[phone]; a != nil {
		for _, d := range a.devices {
			if d.conn != nil {
				out = append(out, target{dev: d, conn: d.conn})
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoLiveDevice, phone)
	}
	return out, nil
}

func (s *Server) sendNewsletter(t target, nl types.JID, body []byte) error {
	return t.conn.sendNode(waBinary.Node{
		Tag: "message",
		Attrs: waBinary.Attrs{
			"from": nl, "id": newMessageID(), "type": "text",
			"t": strconv.FormatInt(time.Now().Unix(), 10),
		},
		Content: []waBinary.Node{{Tag: "plaintext", Content: body}},
	})
}

// sendDM encrypts body for one device with the sender's session, building
// the session from the device's prekey bundle first if needed (spec §10).
func (s *Server) sendDM(ctx context.Context, sa *account, t target, body []byte) error {
	snd := sa.sender
	addr := t.dev.jid.SignalAddress()
	snd.mu.Lock()
	defer snd.mu.Unlock()
	builder := session.NewBuilder(snd, snd, snd, snd, addr, signalSerializer)
	lowPrekeys := -1
	if _, ok := snd.sessions[addr.String()]; !ok {
		bundle, remaining := s.takeBundle(t.dev)
		if err := builder.ProcessBundle(ctx, bundle); err != nil {
			return fmt.Errorf("wasim: process bundle: %w", err)
		}
		if remaining < prekeyLowWater {
			lowPrekeys = remaining
		}
	}
	ct, err := session.NewCipher(builder, addr).Encrypt(ctx, padMessage(body))
	if err != nil {
		return fmt.Errorf("wasim: encrypt: %w", err)
	}
	encType := "msg"
	if ct.Type() == protocol.PREKEY_TYPE {
		encType = "pkmsg"
	}
	id := newMessageID()
	if encType == "pkmsg" {
		s.mu.Lock()
		if t.dev.unacked == nil || len(t.dev.unacked) >= maxUnacked {
			t.dev.unacked = make(map[string]string)
		}
		t.dev.unacked[id] = sa.phone
		s.mu.Unlock()
	}
	err = t.conn.sendNode(waBinary.Node{
		Tag: "message",
		Attrs: waBinary.Attrs{
			"from":       types.NewJID(sa.phone, types.DefaultUserServer),
			"sender_lid": types.NewJID(sa.lid, types.HiddenUserServer),
			"id":         id,
			"t":          strconv.FormatInt(time.Now().Unix(), 10),
			"type":       "text",
			"notify":     sa.pushName,
		},
		Content: []waBinary.Node{{
			Tag:     "enc",
			Attrs:   waBinary.Attrs{"v": "2", "type": encType},
			Content: ct.Serialize(),
		}},
	})
	if err != nil {
		return err
	}
	if lowPrekeys >= 0 {
		// Below whatsmeow's MinPreKeyCount the client uploads another batch.
		t.conn.sendQuiet(waBinary.Node{
			Tag: "notification",
			Attrs: waBinary.Attrs{
				"from": types.ServerJID, "type": "encrypt", "id": newID(),
				"t": strconv.FormatInt(time.Now().Unix(), 10),
			},
			Content: []waBinary.Node{{Tag: "count", Attrs: waBinary.Attrs{"value": strconv.Itoa(lowPrekeys)}}},
		})
	}
	return nil
}

// takeBundle builds a prekey bundle for dev, consuming one kept one-time
// prekey if any, and returns the server count left afterwards.
func (s *Server) takeBundle(dev *device) (*prekey.Bundle, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	otkID := optional.NewEmptyUint32()
	var otkPub ecc.ECPublicKeyable
	if len(dev.otks) > 0 {
		otk := dev.otks[0]
		dev.otks = dev.otks[1:]
		otkID = optional.NewOptionalUint32(otk.id)
		otkPub = ecc.NewDjbECPublicKey(otk.pub)
	}
	if dev.prekeys > 0 {
		dev.prekeys--
	}
	return prekey.NewBundle(dev.regID, uint32(dev.index), otkID, dev.skey.id, otkPub,
		ecc.NewDjbECPublicKey(dev.skey.pub), dev.skey.sig,
		identity.NewKey(ecc.NewDjbECPublicKey(dev.identityPub))), dev.prekeys
}

// padMessage appends 1-15 bytes that each equal the pad length, the padding
// whatsmeow checks on v2 messages.
func padMessage(b []byte) []byte {
	var r [1]byte
	_, _ = rand.Read(r[:])
	pad := int(r[0] & 0x0f)
	if pad == 0 {
		pad = 0x0f
	}
	out := make([]byte, len(b), len(b)+pad)
	copy(out, b)
	for i := 0; i < pad; i++ {
		out = append(out, byte(pad))
	}
	return out
}

// onReceipt switches a session from pkmsg to msg once the device confirmed
// a pkmsg with a (non-retry) receipt.
func (s *Server) onReceipt(c *conn, node *waBinary.Node) {
	if typ, _ := node.Attrs["type"].(string); typ == "retry" {
		return
	}
	ids := []string{}
	if id, ok := node.Attrs["id"].(string); ok {
		ids = append(ids, id)
	}
	list := node.GetChildByTag("list")
	for _, item := range list.GetChildren() {
		if id, ok := item.Attrs["id"].(string); ok {
			ids = append(ids, id)
		}
	}
	s.mu.Lock()
	dev := c.dev
	var senders []*sender
	if dev != nil && len(dev.unacked) > 0 {
		for _, id := range ids {
			if phone, ok := dev.unacked[id]; ok {
				delete(dev.unacked, id)
				if a := s.accounts[phone]; a != nil && a.sender != nil {
					senders = append(senders, a.sender)
				}
			}
		}
	}
	s.mu.Unlock()
	for _, snd := range senders {
		snd.markAcked(dev.jid.SignalAddress())
	}
}
