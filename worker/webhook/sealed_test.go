package webhook_test

import (
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/secretbox"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// TestSealedWebhookDelivered: a record whose webhook URL and secret are
// sealed with the master key (as the api writes them) is delivered to the
// real URL and signed with the real secret by a dispatcher with that key.
func TestSealedWebhookDelivered(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	k, _ := secretbox.GenerateKey()
	box, err := secretbox.New(secretbox.Config{Key: k})
	if err != nil {
		t.Fatal(err)
	}
	rec := session.Record{Tenant: tenant, ID: "sealed", Desired: session.DesiredRunning, Config: session.Config{
		Webhooks: []session.Webhook{{URL: e.rcv.url("/sealed?token=" + token), Secret: secret}},
	}}
	raw, err := session.Codec{Box: box}.Encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), secret) || strings.Contains(string(raw), token) {
		t.Fatalf("record not sealed: %s", raw)
	}
	if _, err := e.b.Sessions.Put(e.ctx, subject.SessionKey(tenant, "sealed"), raw); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Box = box
	e.start(cfg)
	e.publish("sealed", event.MessageReceived, "m1", msg("hi"))
	e.eventually("delivery", func() bool { return len(e.rcv.requests("/sealed")) == 1 })
	verify(t, e.rcv.requests("/sealed")[0], secret)
}
