package worker

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/devstore/walog"
)

// TestSessionProxyCarriesTheWebsocket points a real-WhatsApp client at a
// local HTTP proxy: the websocket dial must arrive there as a CONNECT to
// WhatsApp's host, so the session's traffic never leaves directly.
func TestSessionProxyCarriesTheWebsocket(t *testing.T) {
	connects := make(chan string, 4)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			connects <- r.Host
		}
		w.WriteHeader(http.StatusForbidden) // refuse: nothing may go further
	}))
	defer proxy.Close()

	ctx := context.Background()
	ds, err := devstore.Open(ctx, devstoretest.SQLiteURL(t), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	factory, err := clientFactory(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	cli, err := factory(ds.NewDevice(), walog.New(zap.NewNop()), proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = cli.ConnectContext(cctx) // refused by the proxy
	cli.Disconnect()
	select {
	case host := <-connects:
		if h, _, _ := net.SplitHostPort(host); h != "web.whatsapp.com" {
			t.Fatalf("proxy got CONNECT %q, want web.whatsapp.com", host)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the client did not dial through the session proxy")
	}

	if _, err := factory(ds.NewDevice(), walog.New(zap.NewNop()), "ftp://nope"); err == nil {
		t.Fatal("an unusable proxy was accepted")
	}
}
