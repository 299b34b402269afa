package webhook_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/netguard"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/webhook"
)

// A tenant's webhooks aimed at this machine in every spelling (written
// straight into KV, as if the api check were bypassed) reach nothing: the
// dispatcher's default guard refuses each connection after resolution, the
// loopback canaries see no request, and each event is dead-lettered at
// once (a refused address is a permanent failure). Private, link-local and
// metadata addresses are covered by shared/netguard's tests without
// sending them a packet.
func TestSSRFGuardRefusesLoopbackForms(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	var hits atomic.Int64
	canary := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(canary.Close)
	_, port, _ := net.SplitHostPort(canary.Listener.Addr().String())
	hosts := []string{"127.0.0.1", "localhost", "0.0.0.0", "[::ffff:127.0.0.1]", "2130706433", "127.1", "0x7f.1", "0177.0.0.1"}
	var hooks []session.Webhook
	for _, h := range hosts {
		hooks = append(hooks, session.Webhook{URL: "http://" + h + ":" + port + "/hook"})
	}
	if ln, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		v6 := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) })}}
		v6.Start()
		t.Cleanup(v6.Close)
		_, p6, _ := net.SplitHostPort(ln.Addr().String())
		hooks = append(hooks, session.Webhook{URL: "http://[::1]:" + p6 + "/hook"})
	}
	e.putSession("s1", hooks[:5]...)
	e.putSession("s2", hooks[5:]...)
	cfg := testConfig()
	cfg.Guard = netguard.Policy{} // the production default
	cfg.MaxAttempts = 5
	d := e.start(cfg)
	e.publish("s1", event.MessageReceived, "m1", msg("hi"))
	e.publish("s2", event.MessageReceived, "m1", msg("hi"))
	e.settled()
	if n := hits.Load(); n != 0 {
		t.Fatalf("canary received %d requests", n)
	}
	var dls []webhook.DeadLetter
	for _, s := range []string{"s1", "s2"} {
		got, err := d.DeadLetters(e.ctx, tenant, s, 100)
		if err != nil {
			t.Fatal(err)
		}
		dls = append(dls, got...)
	}
	if len(dls) != len(hooks) {
		t.Fatalf("%d dead letters for %d refused webhooks", len(dls), len(hooks))
	}
	for _, dl := range dls {
		refused := strings.Contains(dl.LastError, "not allowed")
		if !refused || dl.Attempts != 1 {
			t.Errorf("%s: error %q after %d attempts, want refused at once", dl.URL, dl.LastError, dl.Attempts)
		}
	}
}
