// Package natstest starts an embedded JetStream server on a random port for
// tests and returns a connection to it.
package natstest

import (
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/switchboard-gw/switchboard/shared/natsembed"
)

// Start starts a server for t, stopped when t ends, and returns it with a
// connected client.
func Start(t testing.TB) (*natsembed.Server, *nats.Conn) {
	t.Helper()
	s, err := natsembed.Start(natsembed.Config{StoreDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start nats: %v", err)
	}
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		s.Shutdown()
		t.Fatalf("connect nats: %v", err)
	}
	t.Cleanup(func() {
		nc.Close()
		s.Shutdown()
	})
	return s, nc
}
