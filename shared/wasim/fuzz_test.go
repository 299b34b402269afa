package wasim_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.mau.fi/whatsmeow/socket"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/switchboard-gw/switchboard/shared/wasim"
)

// FuzzRawClient throws arbitrary first and second websocket messages at the
// simulator. It must close bad connections without ever reaching its panic
// handler (which logs at error level) and keep serving.
func FuzzRawClient(f *testing.F) {
	core, logs := observer.New(zapcore.ErrorLevel)
	e := newEnv(f, func(c *wasim.Config) { c.Logger = zap.New(core) })
	f.Add(frame(true, clientHello()), frame(false, []byte{1, 2, 3}))
	f.Add(frame(true, clientHello()), []byte{})
	f.Add([]byte("WA\x06\x03\x00\x00\x05hello"), []byte{0, 0, 0})
	f.Add([]byte{'W', 'A', 6, 3, 0, 0}, []byte{0, 0, 4, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, first, second []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, "http://"+e.sim.WSAddr()+"/ws/chat", &websocket.DialOptions{
			HTTPHeader: http.Header{"Origin": {socket.Origin}},
		})
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer ws.CloseNow()
		_ = ws.Write(ctx, websocket.MessageBinary, first)
		_ = ws.Write(ctx, websocket.MessageBinary, second)
		readCtx, readCancel := context.WithTimeout(ctx, 20*time.Millisecond)
		_, _, _ = ws.Read(readCtx)
		readCancel()
		if n := logs.Len(); n > 0 {
			t.Fatalf("simulator logged %d errors: %v", n, logs.All()[0].Message)
		}
	})
}
