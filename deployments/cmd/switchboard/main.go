// Command switchboard runs the standalone gateway: api, worker, scheduler,
// embedded NATS and SQLite in one process; --simulator adds the built-in
// WhatsApp simulator.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/switchboard-gw/switchboard/deployments/standalone"
	"github.com/switchboard-gw/switchboard/shared/config"
	"github.com/switchboard-gw/switchboard/shared/logging"
	"github.com/switchboard-gw/switchboard/shared/memlimit"
	"github.com/switchboard-gw/switchboard/shared/profiling"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard:", err)
		os.Exit(1)
	}
}

func run() error {
	sim := flag.Bool("simulator", false, "also start the built-in WhatsApp simulator and connect sessions to it")
	flag.Parse()
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log, err := logging.New(cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	if _, err := memlimit.Apply(cfg.MemoryLimit, log); err != nil {
		return err
	}
	prof, err := profiling.Start(cfg.PprofAddr, log)
	if err != nil {
		return err
	}
	defer func() { _ = prof.Stop(context.Background()) }()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	gw, err := standalone.New(standalone.Config{Config: cfg, Simulator: *sim, Banner: os.Stdout}, log)
	if err != nil {
		return err
	}
	if err := gw.Start(ctx); err != nil {
		return err
	}
	memlimit.ReturnStartGarbage(log)
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return gw.Stop(shutdown)
}
