package wasim

import (
	"strconv"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
)

// Error codes of a refused <message> (the ack's error attribute; whatsmeow
// returns them as ErrServerReturnedError). Documented in the README.
const (
	nackNotLoggedIn    = 401 // the connection has no logged-in device
	nackNotOnWhatsApp  = 404 // the recipient number is not registered
	nackMalformed      = 487 // missing id/to, no <participants>/<enc>, bad enc
	nackUnsupported    = 488 // a recipient the simulator does not serve (groups…)
	nackInvalidPayload = 491 // decrypted, but not a waE2E.Message with padding
	nackUndecryptable  = 495 // the phone could not decrypt its copy
)

// maxParticipants bounds the <to> nodes of one message.
const maxParticipants = 1024

// enc is one <to jid><enc/></to> of a companion's message.
type enc struct {
	to      types.JID
	typ     string // pkmsg or msg
	payload []byte
	version int
}

// onMessage accepts a companion's <message> stanza (whatsmeow SendMessage):
// the copies addressed to a simulated phone (device 0) are decrypted with
// that phone's Signal store and kept in its inbox; copies for linked devices
// are relayed to them when they are connected. The sender gets
// <ack class="message"> (with error=code when refused) and, once the
// recipient's phone holds the message, a delivery receipt.
func (s *Server) onMessage(c *conn, node *waBinary.Node) {
	start := time.Now()
	defer func() { s.stats.inboundNs.Add(int64(time.Since(start))) }()
	id, _ := node.Attrs["id"].(string)
	to, toOK := node.Attrs["to"].(types.JID)
	sender := c.device()
	switch {
	case sender == nil:
		s.nack(c, id, to, nackNotLoggedIn)
		return
	case id == "" || !toOK || to.User == "":
		s.nack(c, id, to, nackMalformed)
		return
	case to.Server != types.DefaultUserServer && to.Server != types.HiddenUserServer:
		s.nack(c, id, to, nackUnsupported)
		return
	}
	if cat, _ := node.Attrs["category"].(string); cat == "peer" {
		s.onPeerMessage(c, sender, id, to, node)
		return
	}
	encs, ok := parseParticipants(node)
	if !ok {
		s.nack(c, id, to, nackMalformed)
		return
	}
	chat := to.ToNonAD()
	s.mu.Lock()
	recipient := s.accountByJIDLocked(chat)
	own := sender.acct
	s.mu.Unlock()
	if recipient == nil {
		s.nack(c, id, chat, nackNotOnWhatsApp)
		return
	}
	delivered := false
	for _, e := range encs {
		s.mu.Lock()
		dest := s.accountByJIDLocked(e.to.ToNonAD())
		s.mu.Unlock()
		if dest != recipient && dest != own {
			continue // not a device of this chat: real WhatsApp drops it too
		}
		if e.to.Device != 0 {
			s.relay(sender, dest, e, node, chat)
			continue
		}
		code := s.receive(sender, dest, chat, id, e)
		if dest == recipient && dest != own {
			if code != 0 {
				s.nack(c, id, chat, code)
				return
			}
			delivered = true
		} else if code != 0 {
			s.log.Debug("device-sent copy not decrypted", zap.Stringer("to", e.to), zap.Int("code", code))
		}
	}
	s.ack(c, id, chat)
	if delivered {
		s.sendReceipt(sender, receiptNode(chat, []string{id}, ""))
	}
}

// accountByJIDLocked resolves a phone-number or LID user. The caller holds s.mu.
func (s *Server) accountByJIDLocked(jid types.JID) *account {
	switch jid.Server {
	case types.DefaultUserServer:
		return s.accounts[jid.User]
	case types.HiddenUserServer:
		return s.lids[jid.User]
	}
	return nil
}

// parseParticipants reads <participants><to jid><enc v type>bytes</enc></to>…</participants>.
func parseParticipants(node *waBinary.Node) ([]enc, bool) {
	parts, ok := node.GetOptionalChildByTag("participants")
	children := parts.GetChildren()
	if !ok || len(children) == 0 || len(children) > maxParticipants {
		return nil, false
	}
	out := make([]enc, 0, len(children))
	for _, to := range children {
		jid, ok := to.Attrs["jid"].(types.JID)
		if to.Tag != "to" || !ok {
			return nil, false
		}
		e, ok := parseEnc(to.GetChildByTag("enc"))
		if !ok {
			return nil, false
		}
		e.to = jid
		out = append(out, e)
	}
	return out, true
}

func parseEnc(n waBinary.Node) (enc, bool) {
	typ, _ := n.Attrs["type"].(string)
	payload, isBytes := n.Content.([]byte)
	if n.Tag != "enc" || (typ != "pkmsg" && typ != "msg") || !isBytes || len(payload) == 0 {
		return enc{}, false
	}
	v := 2
	if raw, ok := n.Attrs["v"].(string); ok {
		if parsed, err := strconv.Atoi(raw); err == nil {
			v = parsed
		}
	}
	return enc{typ: typ, payload: payload, version: v}, true
}

// receive decrypts one copy for dest's phone and keeps it in its inbox; it
// returns 0 or a nack code. A copy already received (same sender, same id)
// counts as received even if its ciphertext no longer decrypts (a replay).
func (s *Server) receive(from *device, dest *account, chat types.JID, id string, e enc) int {
	s.mu.Lock()
	store, box := s.primaryLocked(dest)
	s.mu.Unlock()
	fromPhone := "+" + from.acct.phone
	plain, err := decryptFrom(store, from.jid.SignalAddress(), e)
	if err != nil {
		if box.has(fromPhone, id) {
			return 0
		}
		s.log.Debug("message not decrypted", zap.Stringer("from", from.jid), zap.Error(err))
		return nackUndecryptable
	}
	var msg waE2E.Message
	if err := proto.Unmarshal(plain, &msg); err != nil {
		return nackInvalidPayload
	}
	entry := inboxEntry{msg: ReceivedMessage{ID: id, From: fromPhone, Time: time.Now().UTC()}}
	if dest == from.acct {
		// The companion's copy for its own phone (DeviceSentMessage).
		dsm := msg.GetDeviceSentMessage()
		entry.msg.To = s.phoneOf(dsm.GetDestinationJID())
		entry.msg.Text = messageText(dsm.GetMessage())
	} else {
		entry.sender, entry.chat = from, chat
		entry.msg.To = "+" + dest.phone
		entry.msg.Text = messageText(&msg)
	}
	if box.add(entry) {
		s.stats.received.Add(1)
	}
	return 0
}

// messageText is the text of a plain or extended text message.
func messageText(m *waE2E.Message) string {
	if t := m.GetConversation(); t != "" {
		return t
	}
	return m.GetExtendedTextMessage().GetText()
}

// phoneOf turns a destination JID (phone number or LID) into "+number".
func (s *Server) phoneOf(raw string) string {
	jid, err := types.ParseJID(raw)
	if err != nil {
		return ""
	}
	if jid.Server == types.HiddenUserServer {
		s.mu.Lock()
		defer s.mu.Unlock()
		if a := s.lids[jid.User]; a != nil {
			return "+" + a.phone
		}
		return ""
	}
	return "+" + jid.User
}
