// Command wasim runs the WhatsApp Web simulator (package wasim) as a
// standalone process for the gateway's integration and load tests.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/switchboard-gw/switchboard/shared/logging"
	"github.com/switchboard-gw/switchboard/shared/profiling"
	"github.com/switchboard-gw/switchboard/shared/wasim"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "wasim:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg := wasim.Config{}
	var level, pprofAddr, rootKeyFile string
	flag.StringVar(&cfg.WSAddr, "ws-addr", wasim.DefaultWSAddr, "websocket listen address (port 0 = free port)")
	flag.StringVar(&cfg.ControlAddr, "control-addr", wasim.DefaultControlAddr, "control API listen address (port 0 = free port)")
	flag.IntVar(&cfg.QRRefs, "qr-refs", wasim.DefaultQRRefs, "QR refs per pair-device IQ (6 like WhatsApp; 1-2 for short QR timeouts)")
	flag.StringVar(&cfg.StateFile, "state-file", "", "keep accounts and linked devices in this JSON file (0600) across restarts; empty = memory only")
	flag.StringVar(&rootKeyFile, "root-key-file", "", "read the Noise root private key (base64 of 32 bytes) from this file, so several simulators can serve one gateway; empty = generated (or kept in --state-file)")
	flag.Uint64Var(&cfg.FirstLID, "first-lid", 0, "first LID handed out (default 100000000000001); simulators sharing a gateway take disjoint ranges")
	flag.StringVar(&level, "log-level", "info", "log level: debug, info, warn, error")
	flag.StringVar(&pprofAddr, "pprof-addr", os.Getenv("WASIM_PPROF_ADDR"), "serve Go's pprof (/debug/pprof/) here, keep it on loopback; default $WASIM_PPROF_ADDR (empty = off)")
	flag.Parse()

	log, err := logging.New(level, os.Getenv("SWITCHBOARD_LOG_FORMAT"))
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	cfg.Logger = log
	if rootKeyFile != "" {
		if cfg.RootPrivateKey, err = readRootKey(rootKeyFile); err != nil {
			return err
		}
	}
	prof, err := profiling.Start(pprofAddr, log)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sim, err := wasim.New(cfg)
	if err != nil {
		return err
	}
	if err := sim.Start(ctx); err != nil {
		return err
	}
	fmt.Printf("wasim ws=%s control=%s\n", sim.WSAddr(), sim.ControlAddr())
	<-ctx.Done()

	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(sim.Stop(stopCtx), prof.Stop(stopCtx))
}

// readRootKey reads a base64 Noise root private key from path.
func readRootKey(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("root key file: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("root key file %s: want the base64 of 32 bytes", path)
	}
	return key, nil
}
