package wasim

import (
	"slices"
	"strconv"
	"strings"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// maxUsyncUsers bounds the users of one usync query.
const maxUsyncUsers = 10000

// onUsync answers <iq xmlns="usync" type="get"><usync><query>…</query><list>
// <user …/>…</list></usync></iq> (whatsmeow's usync(): IsOnWhatsApp,
// GetUserInfo, GetUserDevices). Each <user> is answered in the form it was
// asked: by jid (phone-number or LID) or by <contact>+number@c.us</contact>.
// Supported protocols: contact (type in/out), devices (device 0 plus the
// linked devices), lid; others are answered empty. A number nobody
// registered is "out" and has no devices and no LID.
func (s *Server) onUsync(c *conn, id string, q waBinary.Node) {
	query, ok1 := q.GetOptionalChildByTag("query")
	list, ok2 := q.GetOptionalChildByTag("list")
	users := list.GetChildren()
	if !ok1 || !ok2 || len(users) > maxUsyncUsers {
		c.reply(iqError(id, 400, "bad-request"))
		return
	}
	var protocols []string
	for _, p := range query.GetChildren() {
		protocols = append(protocols, p.Tag)
	}
	out := make([]waBinary.Node, 0, len(users))
	s.mu.Lock()
	for _, u := range users {
		if u.Tag != "user" {
			continue
		}
		out = append(out, s.usyncUserLocked(u, protocols))
	}
	s.mu.Unlock()
	result := make([]waBinary.Node, 0, len(protocols))
	for _, p := range protocols {
		result = append(result, waBinary.Node{Tag: p})
	}
	attrs := waBinary.Attrs{"last": "true", "index": "0"}
	for _, k := range []string{"sid", "mode", "context"} {
		if v, ok := q.Attrs[k].(string); ok {
			attrs[k] = v
		}
	}
	c.reply(iqResult(id, waBinary.Node{Tag: "usync", Attrs: attrs, Content: []waBinary.Node{
		{Tag: "result", Content: result},
		{Tag: "list", Content: out},
	}}))
}

// usyncUserLocked answers one <user>. The caller holds s.mu.
func (s *Server) usyncUserLocked(u waBinary.Node, protocols []string) waBinary.Node {
	var jid types.JID
	var a *account
	var contactQuery []byte
	if j, ok := u.Attrs["jid"].(types.JID); ok {
		jid = j.ToNonAD()
		switch jid.Server {
		case types.DefaultUserServer:
			a = s.accounts[jid.User]
		case types.HiddenUserServer:
			a = s.lids[jid.User]
		}
	} else if cn, ok := u.GetOptionalChildByTag("contact"); ok {
		contactQuery = bytesContent(cn)
		raw := strings.TrimSuffix(string(contactQuery), "@"+types.LegacyUserServer)
		if phone, err := normalizePhone(raw); err == nil {
			jid = types.NewJID(phone, types.DefaultUserServer)
			a = s.accounts[phone]
		}
	}
	node := waBinary.Node{Tag: "user", Attrs: waBinary.Attrs{}}
	if !jid.IsEmpty() {
		node.Attrs["jid"] = jid
	}
	var children []waBinary.Node
	for _, p := range protocols {
		switch p {
		case "contact":
			typ := "out"
			if a != nil {
				typ = "in"
			}
			cn := waBinary.Node{Tag: "contact", Attrs: waBinary.Attrs{"type": typ}}
			if contactQuery != nil {
				cn.Content = contactQuery
			}
			children = append(children, cn)
		case "devices":
			if a != nil {
				children = append(children, devicesNode(a))
			} else {
				children = append(children, waBinary.Node{Tag: "devices", Content: []waBinary.Node{
					{Tag: "error", Attrs: waBinary.Attrs{"code": "404", "text": "not-found"}},
				}})
			}
		case "lid":
			if a != nil {
				children = append(children, waBinary.Node{Tag: "lid", Attrs: waBinary.Attrs{
					"val": types.NewJID(a.lid, types.HiddenUserServer),
				}})
			}
		}
	}
	if len(children) > 0 {
		node.Content = children
	}
	return node
}

// devicesNode lists device 0 (the phone) and the account's linked devices
// that are not removed, as <devices><device-list><device id/>…</device-list>
// <key-index-list ts/></devices>.
func devicesNode(a *account) waBinary.Node {
	idx := []int{0}
	for i, d := range a.devices {
		if !d.removed {
			idx = append(idx, int(i))
		}
	}
	slices.Sort(idx)
	list := make([]waBinary.Node, len(idx))
	for i, d := range idx {
		list[i] = waBinary.Node{Tag: "device", Attrs: waBinary.Attrs{"id": strconv.Itoa(d)}}
		if d != 0 {
			list[i].Attrs["key-index"] = strconv.Itoa(d)
		}
	}
	return waBinary.Node{Tag: "devices", Content: []waBinary.Node{
		{Tag: "device-list", Content: list},
		{Tag: "key-index-list", Attrs: waBinary.Attrs{"ts": strconv.FormatInt(time.Now().Unix(), 10)}},
	}}
}
