package wasim

import (
	"encoding/binary"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap"
)

// maxBundleUsers bounds the devices of one prekey fetch.
const maxBundleUsers = 2000

// onPrekeyFetch answers whatsmeow's fetchPreKeys:
// <iq xmlns="encrypt" type="get"><key><user jid="PHONE:N@…"/>…</key></iq> →
// <list><user jid><registration/><type/><identity/><skey/>[<key/>]</user>…</list>.
// Device 0 is the simulated phone: its account identity, its signed prekey
// and a fresh one-time prekey. Linked devices get what they uploaded. A
// device nobody has gets <error code="404"/> in its <user>.
func (s *Server) onPrekeyFetch(c *conn, id string, keyNode waBinary.Node) {
	users := keyNode.GetChildren()
	if len(users) == 0 || len(users) > maxBundleUsers {
		c.reply(iqError(id, 400, "bad-request"))
		return
	}
	out := make([]waBinary.Node, 0, len(users))
	for _, u := range users {
		jid, ok := u.Attrs["jid"].(types.JID)
		if u.Tag != "user" || !ok {
			continue
		}
		out = append(out, s.bundleNode(jid))
	}
	c.reply(iqResult(id, waBinary.Node{Tag: "list", Content: out}))
}

// bundleNode builds the <user> answer for one device JID.
func (s *Server) bundleNode(jid types.JID) waBinary.Node {
	node := waBinary.Node{Tag: "user", Attrs: waBinary.Attrs{"jid": jid}}
	s.mu.Lock()
	var a *account
	switch jid.Server {
	case types.DefaultUserServer:
		a = s.accounts[jid.User]
	case types.HiddenUserServer:
		a = s.lids[jid.User]
	}
	var keys []waBinary.Node
	if a != nil && jid.Device == 0 {
		snd, _ := s.primaryLocked(a)
		s.mu.Unlock()
		keys = s.primaryBundle(snd)
	} else {
		if a != nil {
			if d := a.devices[jid.Device]; d != nil && !d.removed {
				keys = companionBundle(d)
			}
		}
		s.mu.Unlock()
	}
	if keys == nil {
		node.Content = []waBinary.Node{{Tag: "error", Attrs: waBinary.Attrs{"code": "404", "text": "item-not-found"}}}
		return node
	}
	node.Content = keys
	return node
}

// primaryBundle is the bundle of a phone's device 0, with a new one-time prekey.
func (s *Server) primaryBundle(snd *sender) []waBinary.Node {
	snd.mu.Lock()
	otk, err := snd.prekeys.newOneTime()
	signed := snd.prekeys.signed
	snd.mu.Unlock()
	if err != nil {
		s.log.Warn("one-time prekey not made", zap.Error(err))
	}
	ident := snd.keys.PublicKey().PublicKey().PublicKey()
	nodes := []waBinary.Node{
		regNode(snd.regID),
		{Tag: "type", Content: []byte{0x05}},
		{Tag: "identity", Content: ident[:]},
		prekeyNode("skey", signed.ID(), signed.KeyPair().PublicKey().PublicKey(), sigPtr(signed.Signature())),
	}
	if otk != nil {
		nodes = append(nodes, prekeyNode("key", otk.ID().Value, otk.KeyPair().PublicKey().PublicKey(), nil))
	}
	return nodes
}

// companionBundle is the bundle of a linked device from its uploaded keys,
// consuming one kept one-time prekey. The caller holds s.mu.
func companionBundle(d *device) []waBinary.Node {
	nodes := []waBinary.Node{
		regNode(d.regID),
		{Tag: "type", Content: []byte{0x05}},
		{Tag: "identity", Content: append([]byte(nil), d.identityPub[:]...)},
		prekeyNode("skey", d.skey.id, d.skey.pub, &d.skey.sig),
	}
	if len(d.otks) > 0 {
		otk := d.otks[0]
		d.otks = d.otks[1:]
		if d.prekeys > 0 {
			d.prekeys--
		}
		nodes = append(nodes, prekeyNode("key", otk.id, otk.pub, nil))
	}
	return nodes
}

func sigPtr(s [64]byte) *[64]byte { return &s }

func regNode(regID uint32) waBinary.Node {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], regID)
	return waBinary.Node{Tag: "registration", Content: b[:]}
}

// prekeyNode is <key|skey><id>3 bytes</id><value>32</value>[<signature>64</signature>].
func prekeyNode(tag string, id uint32, pub [32]byte, sig *[64]byte) waBinary.Node {
	var idb [4]byte
	binary.BigEndian.PutUint32(idb[:], id)
	children := []waBinary.Node{
		{Tag: "id", Content: append([]byte(nil), idb[1:]...)},
		{Tag: "value", Content: append([]byte(nil), pub[:]...)},
	}
	if sig != nil {
		children = append(children, waBinary.Node{Tag: "signature", Content: append([]byte(nil), sig[:]...)})
	}
	return waBinary.Node{Tag: tag, Content: children}
}
