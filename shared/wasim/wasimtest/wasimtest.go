// Package wasimtest runs the one WhatsApp simulator of a test process.
// whatsmeow trusts one root key per process, so every test package that
// drives real clients shares a single simulator started from TestMain.
package wasimtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/wasim"
)

// Config is the test configuration: free ports, two QR refs (short QR
// windows), quick closes after stream errors, and a fixed root key.
func Config() wasim.Config {
	return wasim.Config{
		WSAddr: "127.0.0.1:0", ControlAddr: "127.0.0.1:0", QRRefs: 2,
		CloseDelay: 100 * time.Millisecond, RestartCloseDelay: 2 * time.Second,
		RootPrivateKey: bytes.Repeat([]byte{0x5b}, 32),
	}
}

// Main starts a simulator with Config, stores it in *sim, runs the tests
// and stops it; TestMain exits with what it returns:
//
//	func TestMain(m *testing.M) { os.Exit(wasimtest.Main(m, &sim)) }
func Main(m *testing.M, sim **wasim.Server) int {
	s, err := wasim.New(Config())
	if err == nil {
		err = s.Start(context.Background())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "simulator:", err)
		return 1
	}
	*sim = s
	code := m.Run()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.Stop(ctx)
	return code
}
