package wasim

import (
	"encoding/binary"
	"strconv"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.uber.org/zap"
)

// prekeyLowWater is whatsmeow's MinPreKeyCount: below it the client uploads more.
const prekeyLowWater = 5

// onPrekeyCount answers <iq xmlns="encrypt" type="get"><count/></iq>. A device
// that never uploaded gets Config.FirstPrekeyCount, so whatsmeow uploads 50
// keys instead of 812 (spec §9, load-test trick).
func (s *Server) onPrekeyCount(c *conn, id string) {
	s.mu.Lock()
	dev := c.dev
	count := 0
	if dev != nil {
		count = dev.prekeys
		if !dev.uploaded {
			count = s.cfg.firstCount()
		}
	}
	s.mu.Unlock()
	if dev == nil {
		c.reply(iqError(id, 401, "not-authorized"))
		return
	}
	c.reply(iqResult(id, waBinary.Node{Tag: "count", Attrs: waBinary.Attrs{"value": strconv.Itoa(count)}}))
}

// onPrekeyUpload stores the signed prekey and a few one-time prekeys (copied
// out of the frame buffer) for building pkmsg bundles.
func (s *Server) onPrekeyUpload(c *conn, id string, children []waBinary.Node) {
	var otks []prekeyRec
	var skey prekeyRec
	hasSkey := false
	total := 0
	for _, ch := range children {
		switch ch.Tag {
		case "list":
			for _, k := range ch.GetChildren() {
				rec, ok := parsePrekey(k, false)
				if !ok {
					continue
				}
				total++
				if len(otks) < maxKeptOTKs {
					otks = append(otks, rec)
				}
			}
		case "skey":
			skey, hasSkey = parsePrekey(ch, true)
		}
	}
	s.mu.Lock()
	dev := c.dev
	if dev != nil {
		if hasSkey {
			dev.skey = skey
		}
		room := maxKeptOTKs - len(dev.otks)
		if room > len(otks) {
			room = len(otks)
		}
		if room > 0 {
			dev.otks = append(dev.otks, otks[:room]...)
		}
		dev.prekeys += total
		dev.uploaded = true
	}
	s.mu.Unlock()
	if dev == nil {
		c.reply(iqError(id, 401, "not-authorized"))
		return
	}
	s.log.Debug("prekeys uploaded", zap.Stringer("jid", dev.jid), zap.Int("count", total))
	c.reply(iqResult(id))
}

// parsePrekey reads <key|skey><id>3B</id><value>32B</value>[<signature>64B</signature>].
func parsePrekey(n waBinary.Node, signed bool) (prekeyRec, bool) {
	var rec prekeyRec
	idNode, ok1 := n.GetOptionalChildByTag("id")
	valNode, ok2 := n.GetOptionalChildByTag("value")
	if !ok1 || !ok2 {
		return rec, false
	}
	idBytes, val := bytesContent(idNode), bytesContent(valNode)
	if len(idBytes) != 3 || len(val) != 32 {
		return rec, false
	}
	rec.id = binary.BigEndian.Uint32(append([]byte{0}, idBytes...))
	copy(rec.pub[:], val)
	if signed {
		sig := bytesContent(n.GetChildByTag("signature"))
		if len(sig) != 64 {
			return rec, false
		}
		copy(rec.sig[:], sig)
	}
	return rec, true
}
