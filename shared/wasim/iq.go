package wasim

import (
	waBinary "go.mau.fi/whatsmeow/binary"
)

// handleIQ answers client IQs. Every get/set gets an answer: the known ones
// a minimal result, anything else error 501 at once, because an unanswered
// IQ stalls the caller for whatsmeow's 75 s timeout.
func (s *Server) handleIQ(c *conn, node *waBinary.Node) {
	id, _ := node.Attrs["id"].(string)
	typ, _ := node.Attrs["type"].(string)
	xmlns, _ := node.Attrs["xmlns"].(string)
	switch typ {
	case "result", "error":
		s.onIQResponse(c, id, typ, node)
		return
	case "get", "set":
	default:
		return
	}
	if id == "" {
		return
	}
	children := node.GetChildren()
	first := ""
	if len(children) > 0 {
		first = children[0].Tag
	}
	switch {
	case xmlns == "w:p":
		c.reply(iqResult(id))
	case xmlns == "encrypt" && typ == "get" && first == "count":
		s.onPrekeyCount(c, id)
	case xmlns == "encrypt" && typ == "get" && first == "key":
		s.onPrekeyFetch(c, id, children[0])
	case xmlns == "usync" && typ == "get" && first == "usync":
		s.onUsync(c, id, children[0])
	case xmlns == "encrypt" && typ == "set" && hasChild(children, "list"):
		s.onPrekeyUpload(c, id, children)
	case xmlns == "passive" && typ == "set":
		c.reply(iqResult(id))
		if first == "active" {
			// Like WhatsApp after a login: nothing queued offline. whatsmeow
			// emits OfflineSyncCompleted, which gateways may wait for.
			c.sendQuiet(waBinary.Node{Tag: "ib", Content: []waBinary.Node{
				{Tag: "offline", Attrs: waBinary.Attrs{"count": "0"}},
			}})
			s.shareAppStateKey(s.ctx, c)
		}
	case xmlns == "w:sync:app:state" && typ == "set":
		s.onAppStateSync(c, id, node)
	case xmlns == "md" && first == "remove-companion-device":
		s.onRemoveCompanion(c, id)
	case xmlns == "md" && first == "link_code_companion_reg":
		s.onLinkCodeIQ(c, id, children[0])
	default:
		c.reply(iqError(id, 501, "feature-not-implemented"))
	}
}

func hasChild(children []waBinary.Node, tag string) bool {
	for _, ch := range children {
		if ch.Tag == tag {
			return true
		}
	}
	return false
}

// onIQResponse handles the client's answers to server IQs. Only the answer
// to pair-success matters; the pair-device acknowledgement is ignored.
func (s *Server) onIQResponse(c *conn, id, typ string, node *waBinary.Node) {
	s.mu.Lock()
	var p *pendingPair
	if c.reg != nil && c.reg.pair != nil && c.reg.pair.id == id {
		p = c.reg.pair
	}
	s.mu.Unlock()
	if p == nil {
		return
	}
	if typ == "error" {
		s.finishPair(c, p, nil, ErrPairRejected)
		return
	}
	s.onPairDeviceSign(c, p, node)
}

// onRemoveCompanion handles Client.Logout: the device is removed, and the
// client closes the socket itself (we close later as a fallback).
func (s *Server) onRemoveCompanion(c *conn, id string) {
	s.mu.Lock()
	dev := c.dev
	if dev != nil {
		dev.removed = true
		c.closing = true
	}
	s.mu.Unlock()
	if dev == nil {
		c.reply(iqError(id, 401, "not-authorized"))
		return
	}
	c.reply(iqResult(id))
	c.closeAfter(s.cfg.RestartCloseDelay)
}
