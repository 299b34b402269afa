package wasim

import (
	"strconv"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap"
)

// relay forwards a copy addressed to a linked device (device > 0, a real
// client the simulator holds no keys for) as an inbound <message>, like
// WhatsApp's servers do. Devices that are not connected miss it: the
// simulator keeps no offline queue for messages.
func (s *Server) relay(from *device, dest *account, e enc, orig *waBinary.Node, chat types.JID) {
	s.mu.Lock()
	d := dest.devices[e.to.Device]
	var c *conn
	if d != nil && d != from && !d.removed {
		c = d.conn
	}
	fromJID, lid, push := from.jid, types.NewJID(from.acct.lid, types.HiddenUserServer), from.acct.pushName
	s.mu.Unlock()
	if c == nil {
		s.log.Debug("copy for an offline device dropped", zap.Stringer("to", e.to))
		return
	}
	typ, _ := orig.Attrs["type"].(string)
	if typ == "" {
		typ = "text"
	}
	attrs := waBinary.Attrs{
		"from": fromJID, "id": orig.Attrs["id"], "type": typ, "notify": push,
		"t": strconv.FormatInt(time.Now().Unix(), 10),
	}
	if dest == from.acct {
		attrs["recipient"] = chat // a copy for the sender's own other device
	} else {
		attrs["sender_lid"] = lid
	}
	content := []waBinary.Node{{
		Tag:     "enc",
		Attrs:   waBinary.Attrs{"v": strconv.Itoa(e.version), "type": e.typ},
		Content: append([]byte(nil), e.payload...),
	}}
	if di, ok := orig.GetOptionalChildByTag("device-identity"); ok {
		if raw := bytesContent(di); raw != nil {
			content = append(content, waBinary.Node{Tag: "device-identity", Content: append([]byte(nil), raw...)})
		}
	}
	c.sendQuiet(waBinary.Node{Tag: "message", Attrs: attrs, Content: content})
	s.stats.relayed.Add(1)
}

// onPeerMessage accepts a companion's peer message to its own phone
// (category="peer", e.g. an app-state key request): the phone decrypts it,
// which keeps the Signal session in step, and the server acks it.
func (s *Server) onPeerMessage(c *conn, from *device, id string, to types.JID, node *waBinary.Node) {
	e, ok := parseEnc(node.GetChildByTag("enc"))
	s.mu.Lock()
	dest := s.accountByJIDLocked(to.ToNonAD())
	s.mu.Unlock()
	if !ok || dest != from.acct || to.Device != 0 {
		s.nack(c, id, to, nackMalformed)
		return
	}
	s.mu.Lock()
	store, _ := s.primaryLocked(dest)
	s.mu.Unlock()
	if _, err := decryptFrom(store, from.jid.SignalAddress(), e); err != nil {
		s.log.Debug("peer message not decrypted", zap.Stringer("from", from.jid), zap.Error(err))
		s.nack(c, id, to, nackUndecryptable)
		return
	}
	s.ack(c, id, to)
}
