package wasim_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.mau.fi/whatsmeow/proto/waWa6"
	"go.mau.fi/whatsmeow/socket"
	"google.golang.org/protobuf/proto"

	"github.com/switchboard-gw/switchboard/shared/wasim"
)

// rawDial opens a websocket to the simulator without whatsmeow.
func rawDial(t *testing.T, e *env) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "http://"+e.sim.WSAddr()+"/ws/chat", &websocket.DialOptions{
		HTTPHeader: http.Header{"Origin": {socket.Origin}},
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return ws
}

func frame(header bool, payload []byte) []byte {
	var out []byte
	if header {
		out = append(out, socket.WAConnHeader...)
	}
	n := len(payload)
	out = append(out, byte(n>>16), byte(n>>8), byte(n))
	return append(out, payload...)
}

func clientHello() []byte {
	eph := make([]byte, 32)
	_, _ = rand.Read(eph)
	b, _ := proto.Marshal(&waWa6.HandshakeMessage{ClientHello: &waWa6.HandshakeMessage_ClientHello{Ephemeral: eph}})
	return b
}

// expectClosed reads until the simulator closes the socket.
func expectClosed(t *testing.T, ws *websocket.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		if _, _, err := ws.Read(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatal("simulator kept a misbehaving connection open")
			}
			return
		}
	}
}

func TestMalformedClientsAreClosed(t *testing.T) {
	e := newEnv(t)
	random := make([]byte, 200)
	_, _ = rand.Read(random)
	cases := []struct {
		name string
		msgs [][]byte
	}{
		{"bad header", [][]byte{[]byte("GET / HTTP/1.1")}},
		{"short bad header", [][]byte{{'W', 'B'}}},
		{"garbage hello", [][]byte{frame(true, random)}},
		{"empty hello", [][]byte{frame(true, nil)}},
		{"short ephemeral", [][]byte{frame(true, mustMarshal(&waWa6.HandshakeMessage{
			ClientHello: &waWa6.HandshakeMessage_ClientHello{Ephemeral: []byte{1, 2, 3}}}))}},
		{"garbage finish", [][]byte{frame(true, clientHello()), frame(false, random)}},
		{"empty finish", [][]byte{frame(true, clientHello()), frame(false, mustMarshal(&waWa6.HandshakeMessage{}))}},
		{"oversized frame", [][]byte{append(append([]byte{}, socket.WAConnHeader...), 0xff, 0xff, 0xff)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ws := rawDial(t, e)
			for _, m := range tc.msgs {
				if err := ws.Write(context.Background(), websocket.MessageBinary, m); err != nil {
					break
				}
			}
			expectClosed(t, ws)
		})
	}
	// The simulator is still healthy afterwards.
	waitStats(t, e.sim, func(s wasim.Stats) bool { return s.Connections == 0 })
	e.pairQR(e.phone())
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func TestSplitFramesAreReassembled(t *testing.T) {
	e := newEnv(t)
	ws := rawDial(t, e)
	hello := frame(true, clientHello())
	// Send the hello in three pieces; the simulator must still answer.
	for _, part := range [][]byte{hello[:3], hello[3:9], hello[9:]} {
		if err := ws.Write(context.Background(), websocket.MessageBinary, part); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, msg, err := ws.Read(ctx)
	if err != nil {
		t.Fatalf("no server hello: %v", err)
	}
	var hs waWa6.HandshakeMessage
	if err := proto.Unmarshal(msg[3:], &hs); err != nil || len(hs.GetServerHello().GetEphemeral()) != 32 {
		t.Fatalf("server hello %v (%v)", &hs, err)
	}
}

func TestStallHandshakes(t *testing.T) {
	e := newEnv(t)
	if err := e.sim.SetFaults(wasim.Faults{StallHandshakes: true}); err != nil {
		t.Fatal(err)
	}
	ws := rawDial(t, e)
	if err := ws.Write(context.Background(), websocket.MessageBinary, frame(true, clientHello())); err != nil {
		t.Fatalf("write: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, _, err := ws.Read(ctx); ctx.Err() == nil {
		t.Fatalf("stalled handshake got an answer (%v)", err)
	}
}

func TestTLSRedirect(t *testing.T) {
	e := newEnv(t, func(c *wasim.Config) { c.TLS = true })
	if len(e.sim.TLSCACertPEM()) == 0 {
		t.Fatal("no CA with TLS enabled")
	}
	_, trust := control(t, e.sim, http.MethodGet, "/trust", "")
	if trust["ca_cert_pem"] == nil {
		t.Fatalf("trust %v lacks ca_cert_pem", trust)
	}
	e.pairQR(e.phone())
}

func TestConfigValidate(t *testing.T) {
	bad := []wasim.Config{
		{WSAddr: "nope"},
		{ControlAddr: "nope"},
		{QRRefs: 65},
		{FirstPrekeyCount: 1 << 20},
		{RootPrivateKey: []byte{1}},
	}
	for _, cfg := range bad {
		if _, err := wasim.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted an invalid config", cfg)
		}
	}
}
