package wasim_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/switchboard-gw/switchboard/shared/wasim"
)

// registerPhone registers a WhatsApp account without a companion through the
// control API and returns its phone-number JID.
func (e *env) registerPhone(phone string) types.JID {
	e.t.Helper()
	status, out := control(e.t, e.sim, http.MethodPost, "/phones", `{"phone":"`+phone+`","push_name":"Bob"}`)
	if status != http.StatusOK || out["phone"] != phone || out["push_name"] != "Bob" {
		e.t.Fatalf("POST /phones: %d %v", status, out)
	}
	jid, err := types.ParseJID(out["jid"].(string))
	if err != nil || !strings.HasSuffix(out["lid"].(string), "@lid") {
		e.t.Fatalf("POST /phones answer %v", out)
	}
	return jid
}

// inbox reads GET /phones/{digits}/messages.
func inbox(t testing.TB, sim *wasim.Server, phone, query string) []map[string]any {
	t.Helper()
	status, out := control(t, sim, http.MethodGet, "/phones/"+strings.TrimPrefix(phone, "+")+"/messages"+query, "")
	if status != http.StatusOK {
		t.Fatalf("GET messages: %d %v", status, out)
	}
	raw, _ := out["messages"].([]any)
	msgs := make([]map[string]any, len(raw))
	for i, m := range raw {
		msgs[i] = m.(map[string]any)
	}
	return msgs
}

func textMessage(s string) *waE2E.Message {
	return &waE2E.Message{Conversation: proto.String(s)}
}

func TestSendToPhoneDeliveredAndRead(t *testing.T) {
	e := newEnv(t)
	me := e.phone()
	cli, rec, _ := e.pairQR(me)
	bob := e.phone()
	bobJID := e.registerPhone(bob)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()

	unit := "ab\u05e9\u05dc\u05d5\u05dd🙂" // Latin, Hebrew (RTL), emoji: 14 bytes
	long := strings.Repeat(unit, 65536/len(unit))
	long += strings.Repeat("x", 65536-len(long)) // exactly 64 KiB of UTF-8
	texts := []string{"hello 👋🏽 family: 👨‍👩‍👧", "שלום עולם — مرحبا بالعالم", long}
	ids := make([]string, len(texts))
	for i, text := range texts {
		resp, err := cli.SendMessage(ctx, bobJID, textMessage(text))
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		ids[i] = resp.ID
		r := waitMatch(t, rec, func(r *events.Receipt) bool { return r.Type == types.ReceiptTypeDelivered })
		if len(r.MessageIDs) != 1 || r.MessageIDs[0] != resp.ID || r.Chat.User != bobJID.User {
			t.Fatalf("delivery receipt %+v for %s", r, resp.ID)
		}
	}
	msgs := inbox(t, e.sim, bob, "")
	if len(msgs) != len(texts) {
		t.Fatalf("inbox has %d messages, want %d", len(msgs), len(texts))
	}
	for i, m := range msgs {
		if m["id"] != ids[i] || m["text"] != texts[i] || m["from"] != me || m["to"] != bob {
			t.Fatalf("message %d: id=%v from=%v to=%v text(%d bytes) equal=%v", i, m["id"], m["from"], m["to"],
				len(m["text"].(string)), m["text"] == texts[i])
		}
		if _, err := time.Parse(time.RFC3339Nano, m["time"].(string)); err != nil {
			t.Fatalf("time %v: %v", m["time"], err)
		}
	}
	if got := inbox(t, e.sim, bob, "?since="+ids[0]); len(got) != 2 || got[0]["id"] != ids[1] {
		t.Fatalf("since: %v", got)
	}
	// The companion's copy for its own phone was decrypted too.
	own := inbox(t, e.sim, me, "")
	if len(own) != len(texts) || own[0]["to"] != bob || own[0]["text"] != texts[0] || own[0]["from"] != me {
		t.Fatalf("own phone inbox: %v", own)
	}

	status, out := control(t, e.sim, http.MethodPost, "/phones/"+strings.TrimPrefix(bob, "+")+"/read",
		`{"ids":["`+ids[0]+`","`+ids[2]+`"]}`)
	if status != http.StatusOK {
		t.Fatalf("read: %d %v", status, out)
	}
	r := waitMatch(t, rec, func(r *events.Receipt) bool { return r.Type == types.ReceiptTypeRead })
	if len(r.MessageIDs) != 2 || r.MessageIDs[0] != ids[0] || r.MessageIDs[1] != ids[2] || r.Chat.User != bobJID.User {
		t.Fatalf("read receipt %+v", r)
	}
	if st := e.sim.InboundStats(); st.Received != 6 || st.Refused != 0 {
		t.Fatalf("inbound stats %+v, want 6 received (3 + 3 device-sent copies)", st)
	}
}

func TestSendSameIDOnce(t *testing.T) {
	e := newEnv(t)
	cli, rec, _ := e.pairQR(e.phone())
	bob := e.phone()
	bobJID := e.registerPhone(bob)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	id := cli.GenerateMessageID()
	for i := 0; i < 3; i++ {
		if _, err := cli.SendMessage(ctx, bobJID, textMessage("once"), whatsmeow.SendRequestExtra{ID: id}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		waitMatch(t, rec, func(r *events.Receipt) bool { return r.Type == types.ReceiptTypeDelivered })
	}
	if msgs := inbox(t, e.sim, bob, ""); len(msgs) != 1 || msgs[0]["id"] != id {
		t.Fatalf("inbox %v, want the message once", msgs)
	}
}

func TestSendToUnregisteredFails(t *testing.T) {
	e := newEnv(t)
	cli, _, _ := e.pairQR(e.phone())
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	start := time.Now()
	_, err := cli.SendMessage(ctx, types.NewJID("15550009999", types.DefaultUserServer), textMessage("anyone?"))
	if !errors.Is(err, whatsmeow.ErrServerReturnedError) || !strings.Contains(err.Error(), "404") {
		t.Fatalf("send to unregistered: %v, want server error 404", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("send took %s", d)
	}
	bob := e.phone()
	e.registerPhone(bob)
	res, err := cli.IsOnWhatsApp(ctx, []string{bob, "+15550009999"})
	if err != nil || len(res) != 2 {
		t.Fatalf("IsOnWhatsApp: %v %v", res, err)
	}
	if !res[0].IsIn || res[0].JID.User != strings.TrimPrefix(bob, "+") || res[0].Query != bob || res[1].IsIn {
		t.Fatalf("IsOnWhatsApp %+v", res)
	}
	info, err := cli.GetUserInfo(ctx, []types.JID{types.NewJID(strings.TrimPrefix(bob, "+"), types.DefaultUserServer)})
	if err != nil {
		t.Fatalf("GetUserInfo: %v", err)
	}
	for _, u := range info {
		if u.LID.Server != types.HiddenUserServer || len(u.Devices) != 1 || u.Devices[0].Device != 0 {
			t.Fatalf("user info %+v", u)
		}
	}
}

// sendRaw sends a hand-made message stanza and returns the server's ack.
func sendRaw(t *testing.T, cli *whatsmeow.Client, node waBinary.Node) *waBinary.Node {
	t.Helper()
	in := cli.DangerousInternals()
	id, _ := node.Attrs["id"].(string)
	ch := in.WaitResponse(id)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := in.SendNode(ctx, node); err != nil {
		t.Fatalf("send node: %v", err)
	}
	select {
	case resp := <-ch:
		return resp
	case <-ctx.Done():
		t.Fatalf("no ack for %s", node.XMLString())
	}
	return nil
}

func TestMalformedMessagesNacked(t *testing.T) {
	e := newEnv(t)
	me := e.phone()
	cli, rec, _ := e.pairQR(me)
	bob := e.phone()
	bobJID := e.registerPhone(bob)
	dev0 := bobJID
	dev0.Device = 0
	to := func(jid types.JID, typ string, payload any) waBinary.Node {
		return waBinary.Node{Tag: "participants", Content: []waBinary.Node{{
			Tag: "to", Attrs: waBinary.Attrs{"jid": jid},
			Content: []waBinary.Node{{Tag: "enc", Attrs: waBinary.Attrs{"v": "2", "type": typ}, Content: payload}},
		}}}
	}
	cases := []struct {
		name  string
		attrs waBinary.Attrs
		body  []waBinary.Node
		code  string
	}{
		{"no participants", waBinary.Attrs{"to": bobJID}, nil, "487"},
		{"no to", waBinary.Attrs{}, []waBinary.Node{to(dev0, "msg", []byte{1})}, "487"},
		{"bad enc type", waBinary.Attrs{"to": bobJID}, []waBinary.Node{to(dev0, "skmsg", []byte{1})}, "487"},
		{"enc not bytes", waBinary.Attrs{"to": bobJID}, []waBinary.Node{to(dev0, "msg", "text")}, "487"},
		{"garbage msg", waBinary.Attrs{"to": bobJID}, []waBinary.Node{to(dev0, "msg", []byte("not signal"))}, "495"},
		{"garbage pkmsg", waBinary.Attrs{"to": bobJID}, []waBinary.Node{to(dev0, "pkmsg", []byte{0x33, 1, 2, 3})}, "495"},
		{"group", waBinary.Attrs{"to": types.NewJID("1203630000", types.GroupServer)}, []waBinary.Node{to(dev0, "msg", []byte{1})}, "488"},
		{"unregistered", waBinary.Attrs{"to": types.NewJID("15550009998", types.DefaultUserServer)}, []waBinary.Node{to(dev0, "msg", []byte{1})}, "404"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := cli.GenerateMessageID()
			tc.attrs["id"], tc.attrs["type"] = id, "text"
			ack := sendRaw(t, cli, waBinary.Node{Tag: "message", Attrs: tc.attrs, Content: tc.body})
			if ack.Tag != "ack" || ack.Attrs["error"] != tc.code {
				t.Fatalf("answer %s, want ack error=%s", ack.XMLString(), tc.code)
			}
		})
	}
	if msgs := inbox(t, e.sim, bob, ""); len(msgs) != 0 {
		t.Fatalf("refused stanzas reached the inbox: %v", msgs)
	}
	// The connection and the phone still work.
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := cli.SendMessage(ctx, bobJID, textMessage("still fine")); err != nil {
		t.Fatalf("send after refusals: %v", err)
	}
	waitMatch(t, rec, func(r *events.Receipt) bool { return r.Type == types.ReceiptTypeDelivered })
	if msgs := inbox(t, e.sim, bob, ""); len(msgs) != 1 || msgs[0]["text"] != "still fine" {
		t.Fatalf("inbox %v", msgs)
	}

	// A well-formed copy on the live session whose MAC is wrong is refused
	// and leaves the session as it was: the genuine copy still decrypts.
	// Bob answers first, so the companion's next copy is a plain msg (whose
	// last 8 bytes are the MAC) on the session it now keys by Bob's LID.
	if _, err := e.sim.SendText(ctx, me, bob, "reply"); err != nil {
		t.Fatalf("bob replies: %v", err)
	}
	bobLID := waitEvent[*events.Message](t, rec).Info.SenderAlt
	plain, _ := proto.Marshal(textMessage("genuine"))
	encNode, _, err := cli.DangerousInternals().EncryptMessageForDevice(ctx, plain, bobLID, nil, nil, nil)
	if err != nil || encNode.Attrs["type"] != "msg" {
		t.Fatalf("encrypt: %v %v", encNode, err)
	}
	genuine := encNode.Content.([]byte)
	for i, payload := range [][]byte{append(append([]byte(nil), genuine[:len(genuine)-1]...), genuine[len(genuine)-1]^0xff), genuine} {
		raw := *encNode
		raw.Content = payload
		ack := sendRaw(t, cli, waBinary.Node{Tag: "message", Attrs: waBinary.Attrs{"id": cli.GenerateMessageID(), "to": bobJID, "type": "text"},
			Content: []waBinary.Node{{Tag: "participants", Content: []waBinary.Node{{
				Tag: "to", Attrs: waBinary.Attrs{"jid": dev0}, Content: []waBinary.Node{raw}}}}}})
		if want := []any{"495", nil}[i]; ack.Attrs["error"] != want {
			t.Fatalf("copy %d answered %s, want error=%v", i, ack.XMLString(), want)
		}
	}
	if _, err := cli.SendMessage(ctx, bobJID, textMessage("after tamper")); err != nil {
		t.Fatalf("send after a tampered copy: %v", err)
	}
	if msgs := inbox(t, e.sim, bob, ""); len(msgs) != 3 || msgs[1]["text"] != "genuine" || msgs[2]["text"] != "after tamper" {
		t.Fatalf("inbox %v", msgs)
	}
}

func TestPhoneControlAPIErrors(t *testing.T) {
	e := newEnv(t)
	bob := e.phone()
	e.registerPhone(bob)
	digits := strings.TrimPrefix(bob, "+")
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"register malformed", "POST", "/phones", `{"phone":`, 400, "invalid_input"},
		{"register wrong type", "POST", "/phones", `{"phone":15551234567}`, 400, "invalid_input"},
		{"register no phone", "POST", "/phones", `{"push_name":"x"}`, 400, "invalid_input"},
		{"register bad phone", "POST", "/phones", `{"phone":"+12ab"}`, 400, "invalid_input"},
		{"register long name", "POST", "/phones", `{"phone":"+15551230000","push_name":"` + strings.Repeat("x", 300) + `"}`, 400, "invalid_input"},
		{"messages bad phone", "GET", "/phones/+1555/messages", ``, 400, "invalid_input"},
		{"messages unknown phone", "GET", "/phones/15550001111/messages", ``, 404, "unknown_phone"},
		{"messages unknown since", "GET", "/phones/" + digits + "/messages?since=nope", ``, 400, "invalid_input"},
		{"read malformed", "POST", "/phones/" + digits + "/read", `{"ids":`, 400, "invalid_input"},
		{"read no ids", "POST", "/phones/" + digits + "/read", `{"ids":[]}`, 400, "invalid_input"},
		{"read empty id", "POST", "/phones/" + digits + "/read", `{"ids":[""]}`, 400, "invalid_input"},
		{"read unknown id", "POST", "/phones/" + digits + "/read", `{"ids":["3EB0FFFF"]}`, 400, "invalid_input"},
		{"read unknown phone", "POST", "/phones/15550001111/read", `{"ids":["x"]}`, 404, "unknown_phone"},
		{"read bad phone", "POST", "/phones/abc/read", `{"ids":["x"]}`, 400, "invalid_input"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out := control(t, e.sim, tc.method, tc.path, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d (%v)", status, tc.status, out)
			}
			errObj, ok := out["error"].(map[string]any)
			if !ok || errObj["code"] != tc.code || errObj["message"] == "" {
				t.Fatalf("body %v, want error code %q", out, tc.code)
			}
		})
	}
	if _, err := e.sim.PhoneMessages("+15551230000", ""); !errors.Is(err, wasim.ErrUnknownPhone) {
		t.Fatalf("a refused registration registered the phone: %v", err)
	}
	if msgs := inbox(t, e.sim, bob, ""); len(msgs) != 0 {
		t.Fatalf("inbox %v", msgs)
	}
}
