package waclient_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/socket"

	"github.com/switchboard-gw/switchboard/shared/waclient"
	"github.com/switchboard-gw/switchboard/shared/wasim"
)

func startSim(t *testing.T, root []byte) *wasim.Server {
	t.Helper()
	sim, err := wasim.New(wasim.Config{WSAddr: "127.0.0.1:0", ControlAddr: "127.0.0.1:0", RootPrivateKey: root})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Stop(context.Background()) })
	return sim
}

func TestPointAtSimulator(t *testing.T) {
	ctx := context.Background()
	rootA := bytes.Repeat([]byte{1}, 32)
	simA := startSim(t, rootA)
	target, err := waclient.PointAtSimulator(ctx, simA.ControlAddr())
	if err != nil {
		t.Fatalf("point: %v", err)
	}
	if whatsmeow.WACertPubKey != simA.RootPublicKey() || target.RootPublicKey() != simA.RootPublicKey() {
		t.Fatal("root key not installed")
	}
	if target.WSAddr() != simA.WSAddr() {
		t.Fatalf("ws addr %s, want %s", target.WSAddr(), simA.WSAddr())
	}

	// whatsmeow's fixed URL reaches the simulator through the transport.
	reqCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(reqCtx, http.MethodGet, socket.URL, nil)
	req.URL.Scheme = "https"
	resp, err := target.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("dial through target: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatalf("plain GET /ws/chat answered %d, want an upgrade error from the simulator", resp.StatusCode)
	}

	// Another simulator with the same root key is fine, a different one is not.
	if _, err := waclient.PointAtSimulator(ctx, startSim(t, rootA).ControlAddr()); err != nil {
		t.Fatalf("same key: %v", err)
	}
	simB := startSim(t, bytes.Repeat([]byte{2}, 32))
	if _, err := waclient.PointAtSimulator(ctx, simB.ControlAddr()); !errors.Is(err, waclient.ErrKeyConflict) {
		t.Fatalf("different key: %v, want ErrKeyConflict", err)
	}
}

func TestPointAtSimulatorBadTrust(t *testing.T) {
	bodies := map[string]string{
		"not json":   `{`,
		"short key":  `{"root_public_key":"AAAA","ws_addr":"127.0.0.1:1"}`,
		"no ws addr": `{"root_public_key":"` + "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=" + `"}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte(body))
			}))
			defer srv.Close()
			if _, err := waclient.PointAtSimulator(context.Background(), srv.Listener.Addr().String()); err == nil {
				t.Fatal("accepted a bad trust document")
			}
		})
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	if _, err := waclient.PointAtSimulator(context.Background(), srv.Listener.Addr().String()); err == nil {
		t.Fatal("accepted a 404 trust")
	}
}
