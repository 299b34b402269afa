package wasim

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// newID returns a random stanza id. Ids are always strings: whatsmeow
// type-asserts them (a missing id on pair-success panics the client).
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newMessageID mimics the ids WhatsApp clients generate.
func newMessageID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "3EB0" + hex.EncodeToString(b[:])
}

// iqResult answers an IQ. from must be the ServerJID value, not a string.
func iqResult(id string, children ...waBinary.Node) waBinary.Node {
	n := waBinary.Node{
		Tag:   "iq",
		Attrs: waBinary.Attrs{"from": types.ServerJID, "type": "result", "id": id},
	}
	if len(children) > 0 {
		n.Content = children
	}
	return n
}

// iqError answers an IQ with an error so the client fails fast instead of
// waiting 75 s for its IQ timeout.
func iqError(id string, code int, text string) waBinary.Node {
	return waBinary.Node{
		Tag:   "iq",
		Attrs: waBinary.Attrs{"from": types.ServerJID, "type": "error", "id": id},
		Content: []waBinary.Node{{
			Tag:   "error",
			Attrs: waBinary.Attrs{"code": strconv.Itoa(code), "text": text},
		}},
	}
}

// iqSet is a server-initiated IQ with exactly one child, which is all
// whatsmeow's handleIQ accepts.
func iqSet(id, xmlns string, child waBinary.Node) waBinary.Node {
	return waBinary.Node{
		Tag:     "iq",
		Attrs:   waBinary.Attrs{"from": types.ServerJID, "type": "set", "id": id, "xmlns": xmlns},
		Content: []waBinary.Node{child},
	}
}

// streamError builds <stream:error code=…><conflict type=…/></stream:error>;
// empty arguments are left out.
func streamError(code, conflict string) waBinary.Node {
	n := waBinary.Node{Tag: "stream:error", Attrs: waBinary.Attrs{}}
	if code != "" {
		n.Attrs["code"] = code
	}
	if conflict != "" {
		n.Content = []waBinary.Node{{Tag: "conflict", Attrs: waBinary.Attrs{"type": conflict}}}
	}
	return n
}

func failureNode(reason int) waBinary.Node {
	return waBinary.Node{Tag: "failure", Attrs: waBinary.Attrs{"reason": strconv.Itoa(reason)}}
}

// successNode is the login answer. lid carries the device part: the client
// compares it with the AD LID it stored from pair-success.
func successNode(lid types.JID) waBinary.Node {
	now := strconv.FormatInt(time.Now().Unix(), 10)
	return waBinary.Node{Tag: "success", Attrs: waBinary.Attrs{
		"t":        now,
		"lid":      lid,
		"props":    "1",
		"creation": now,
		"location": "sim",
	}}
}

// bytesContent returns a node's binary content. Client-sent values can be
// []byte or, when the encoder packed them, string.
func bytesContent(n waBinary.Node) []byte {
	switch v := n.Content.(type) {
	case []byte:
		return v
	case string:
		return []byte(v)
	default:
		return nil
	}
}

// handleNode routes one decoded client node.
func (s *Server) handleNode(c *conn, node *waBinary.Node) {
	switch node.Tag {
	case "iq":
		s.handleIQ(c, node)
	case "receipt":
		s.onReceipt(c, node)
	case "message":
		s.onMessage(c, node)
	case "chatstate":
		s.onChatState(node)
	default:
		// ack, presence, chatstate and the like need no answer.
	}
}
