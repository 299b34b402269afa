package wasim

import (
	"strconv"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// ack answers a message stanza; nack adds the error code.
func (s *Server) ack(c *conn, id string, chat types.JID) {
	c.sendQuiet(ackNode(id, chat, 0))
}

func (s *Server) nack(c *conn, id string, chat types.JID, code int) {
	s.stats.refused.Add(1)
	c.sendQuiet(ackNode(id, chat, code))
}

func ackNode(id string, chat types.JID, code int) waBinary.Node {
	attrs := waBinary.Attrs{"class": "message", "t": strconv.FormatInt(time.Now().Unix(), 10)}
	if id != "" {
		attrs["id"] = id
	}
	if !chat.IsEmpty() {
		attrs["from"] = chat
	}
	if code != 0 {
		attrs["error"] = strconv.Itoa(code)
	}
	return waBinary.Node{Tag: "ack", Attrs: attrs}
}

// InboundStats counts what companions sent through the simulator.
type InboundStats struct {
	// Received is the messages phones decrypted and kept (duplicates excluded).
	Received int64
	// Refused is the message stanzas answered with an error ack.
	Refused int64
	// Relayed is the copies forwarded to connected linked devices.
	Relayed int64
	// Busy is the time spent handling message stanzas (parse, decrypt,
	// store, ack, receipt), summed over connections.
	Busy time.Duration
}

// InboundStats returns the inbound message counters.
func (s *Server) InboundStats() InboundStats {
	return InboundStats{
		Received: s.stats.received.Load(),
		Refused:  s.stats.refused.Load(),
		Relayed:  s.stats.relayed.Load(),
		Busy:     time.Duration(s.stats.inboundNs.Load()),
	}
}
