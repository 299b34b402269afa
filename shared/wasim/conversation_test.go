package wasim_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
)

// A conversation both ways on one Signal session per pair: the phone
// answers on the session the companion opened, and the companion answers on
// the session the phone opened.
func TestConversationBothWays(t *testing.T) {
	e := newEnv(t)
	me := e.phone()
	cli, rec, _ := e.pairQR(me)
	bob, carol := e.phone(), e.phone()
	bobJID, carolJID := e.registerPhone(bob), e.registerPhone(carol)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()

	// Companion first, then the phone, then the companion again.
	send := func(to types.JID, text string) {
		t.Helper()
		if _, err := cli.SendMessage(ctx, to, textMessage(text)); err != nil {
			t.Fatalf("send %q: %v", text, err)
		}
		waitMatch(t, rec, func(r *events.Receipt) bool { return r.Type == types.ReceiptTypeDelivered })
	}
	receive := func(from, text string) {
		t.Helper()
		if _, err := e.sim.SendText(ctx, me, from, text); err != nil {
			t.Fatalf("phone send %q: %v", text, err)
		}
		msg := waitEvent[*events.Message](t, rec)
		if msg.Message.GetConversation() != text {
			t.Fatalf("companion got %q, want %q", msg.Message.GetConversation(), text)
		}
	}
	send(bobJID, "1 to bob")
	receive(bob, "2 from bob")
	send(bobJID, "3 to bob")
	send(bobJID, "4 to bob")
	// Phone first this time.
	receive(carol, "1 from carol")
	send(carolJID, "2 to carol")
	receive(carol, "3 from carol")
	send(carolJID, "4 to carol")

	for phone, want := range map[string][]string{bob: {"1 to bob", "3 to bob", "4 to bob"}, carol: {"2 to carol", "4 to carol"}} {
		msgs := inbox(t, e.sim, phone, "")
		var got []string
		for _, m := range msgs {
			got = append(got, m["text"].(string))
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("%s inbox %v, want %v", phone, got, want)
		}
	}
	if n := rec.count(isType[*events.UndecryptableMessage]); n != 0 {
		t.Fatalf("%d undecryptable messages on the companion", n)
	}
	if st := e.sim.InboundStats(); st.Refused != 0 {
		t.Fatalf("refused %d", st.Refused)
	}
}

// Copies for linked devices are relayed: the sender's other companion sees
// its own message, the recipient's companion sees the message.
func TestMessageRelayedToLinkedDevices(t *testing.T) {
	e := newEnv(t)
	me, bob := e.phone(), e.phone()
	cli, _, _ := e.pairQR(me)
	_, twin, _ := e.pairQR(me)
	_, bobCompanion, _ := e.pairQR(bob)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	bobJID := types.NewJID(strings.TrimPrefix(bob, "+"), types.DefaultUserServer)
	for _, text := range []string{"relay 1", "relay 2"} {
		if _, err := cli.SendMessage(ctx, bobJID, textMessage(text)); err != nil {
			t.Fatalf("send: %v", err)
		}
		got := waitEvent[*events.Message](t, bobCompanion)
		if got.Message.GetConversation() != text || got.Info.Sender.User != strings.TrimPrefix(me, "+") || got.Info.IsFromMe {
			t.Fatalf("bob's companion got %q from %v", got.Message.GetConversation(), got.Info.Sender)
		}
		own := waitEvent[*events.Message](t, twin)
		if !own.Info.IsFromMe || own.Info.Chat.User != bobJID.User || own.Message.GetConversation() != text {
			t.Fatalf("twin got %q fromMe=%v chat=%v", own.Message.GetConversation(), own.Info.IsFromMe, own.Info.Chat)
		}
	}
	if n := bobCompanion.count(isType[*events.UndecryptableMessage]) + twin.count(isType[*events.UndecryptableMessage]); n != 0 {
		t.Fatalf("%d undecryptable relayed messages", n)
	}
	if msgs := inbox(t, e.sim, bob, ""); len(msgs) != 2 {
		t.Fatalf("bob's phone has %d messages, want 2", len(msgs))
	}
}

// A read receipt for a sender that is offline waits for its next login.
func TestReadReceiptQueuedWhileOffline(t *testing.T) {
	e := newEnv(t)
	cli, rec, res := e.pairQR(e.phone())
	bob := e.phone()
	bobJID := e.registerPhone(bob)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	resp, err := cli.SendMessage(ctx, bobJID, textMessage("read me later"))
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	waitMatch(t, rec, func(r *events.Receipt) bool { return r.Type == types.ReceiptTypeDelivered })
	cli.Disconnect()
	waitStats(t, e.sim, statsLoggedIn(0))
	status, out := control(t, e.sim, http.MethodPost, "/phones/"+strings.TrimPrefix(bob, "+")+"/read", `{"ids":["`+resp.ID+`"]}`)
	if status != http.StatusOK {
		t.Fatalf("read: %d %v", status, out)
	}
	if n := rec.count(func(evt any) bool { r, ok := evt.(*events.Receipt); return ok && r.Type == types.ReceiptTypeRead }); n != 0 {
		t.Fatalf("read receipt reached a disconnected client")
	}
	if err := cli.Connect(); err != nil {
		t.Fatalf("reconnect %s: %v", res.JID, err)
	}
	r := waitMatch(t, rec, func(r *events.Receipt) bool { return r.Type == types.ReceiptTypeRead })
	if len(r.MessageIDs) != 1 || r.MessageIDs[0] != resp.ID {
		t.Fatalf("read receipt %+v", r)
	}
}
