package wasim_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/switchboard-gw/switchboard/shared/wasim"
)

func TestInboundDM(t *testing.T) {
	e := newEnv(t)
	phone := e.phone()
	_, rec, res := e.pairQR(phone)
	ctx := context.Background()

	n, err := e.sim.SendText(ctx, phone, "+15559990001", "hello from the phone")
	if err != nil || n != 1 {
		t.Fatalf("send: n=%d err=%v", n, err)
	}
	msg := waitEvent[*events.Message](t, rec)
	if got := msg.Message.GetConversation(); got != "hello from the phone" {
		t.Fatalf("text %q", got)
	}
	if msg.Info.Sender.User != "15559990001" || msg.Info.IsFromMe || msg.Info.IsGroup {
		t.Fatalf("info %+v", msg.Info.MessageSource)
	}
	if msg.Info.SenderAlt.Server != types.HiddenUserServer {
		t.Fatalf("sender alt %v, want the sender's LID", msg.Info.SenderAlt)
	}

	// Later messages reuse the session (msg once the receipt arrived) and
	// go to a device JID as well as to a phone number.
	for _, text := range []string{"second", "third"} {
		if _, err := e.sim.SendText(ctx, res.JID.String(), "15559990001", text); err != nil {
			t.Fatalf("send %q: %v", text, err)
		}
		if got := waitEvent[*events.Message](t, rec).Message.GetConversation(); got != text {
			t.Fatalf("text %q, want %q", got, text)
		}
	}

	status, out := control(t, e.sim, http.MethodPost, "/messages", `{"to":"`+phone+`","from":"+15559990002","text":"via http"}`)
	if status != http.StatusOK || out["delivered"].(float64) != 1 {
		t.Fatalf("POST /messages: %d %v", status, out)
	}
	if got := waitEvent[*events.Message](t, rec).Message.GetConversation(); got != "via http" {
		t.Fatalf("text %q", got)
	}
	if n := rec.count(isType[*events.UndecryptableMessage]); n != 0 {
		t.Fatalf("%d undecryptable messages", n)
	}
	if st := e.sim.Stats(); st.Messages != 4 {
		t.Fatalf("messages counter %d, want 4", st.Messages)
	}
}

func TestInboundNewsletter(t *testing.T) {
	e := newEnv(t)
	phone := e.phone()
	_, rec, _ := e.pairQR(phone)
	if _, err := e.sim.SendText(context.Background(), phone, "120363000000000001@newsletter", "news"); err != nil {
		t.Fatalf("send: %v", err)
	}
	msg := waitEvent[*events.Message](t, rec)
	if msg.Message.GetConversation() != "news" || msg.Info.Chat.Server != types.NewsletterServer {
		t.Fatalf("message %q in %v", msg.Message.GetConversation(), msg.Info.Chat)
	}
}

func TestInboundToEveryDevice(t *testing.T) {
	e := newEnv(t)
	phone := e.phone()
	_, rec1, _ := e.pairQR(phone)
	_, rec2, _ := e.pairQR(phone)
	n, err := e.sim.SendText(context.Background(), phone, "+15559990003", "fan-out")
	if err != nil || n != 2 {
		t.Fatalf("send: n=%d err=%v", n, err)
	}
	for _, rec := range []*recorder{rec1, rec2} {
		if got := waitEvent[*events.Message](t, rec).Message.GetConversation(); got != "fan-out" {
			t.Fatalf("text %q", got)
		}
	}
	if _, err := e.sim.SendText(context.Background(), "+15550000000", "+15559990003", "x"); !errors.Is(err, wasim.ErrNoLiveDevice) {
		t.Fatalf("send to unknown phone: %v, want ErrNoLiveDevice", err)
	}
}

func TestUnknownIQFailsFast(t *testing.T) {
	e := newEnv(t)
	cli, _, _ := e.pairQR(e.phone())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := cli.GetBlocklist(ctx)
	if err == nil {
		t.Fatal("GetBlocklist succeeded against a simulator without blocklists")
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("GetBlocklist took %s, want a fast 501", elapsed)
	}
	if !strings.Contains(err.Error(), "501") && !strings.Contains(err.Error(), "feature-not-implemented") {
		t.Fatalf("error %v, want 501 feature-not-implemented", err)
	}
}
