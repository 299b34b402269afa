// Command switchboard-api serves Switchboard's HTTP api against a NATS
// JetStream cluster.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/api/httpapi"
	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/config"
	"github.com/switchboard-gw/switchboard/shared/logging"
	"github.com/switchboard-gw/switchboard/shared/memlimit"
	"github.com/switchboard-gw/switchboard/shared/profiling"
	"github.com/switchboard-gw/switchboard/shared/secretbox"
)

const (
	startTimeout = 60 * time.Second
	stopTimeout  = 15 * time.Second
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard-api:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if cfg.NATSURL == "" {
		return fmt.Errorf("SWITCHBOARD_NATS_URL is required (the standalone binary embeds NATS)")
	}
	apiCfg, err := httpapi.ConfigFrom(cfg)
	if err != nil {
		return err
	}
	box, err := secretbox.New(cfg.SecretBox())
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

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	startCtx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	conn, err := bus.Open(startCtx, cfg.NATSURL, "switchboard-api", cfg.Bus(), bus.ErrorLog(log))
	if err != nil {
		return err
	}
	defer conn.Close()
	apiCfg.Box = box
	srv, err := httpapi.New(apiCfg, conn.NC, conn.JS, conn.Buckets, log)
	if err != nil {
		return err
	}
	if err := srv.Start(startCtx); err != nil {
		return err
	}
	// Records still plaintext or sealed with a previous master key are
	// rewritten with the current one; the api serves meanwhile.
	if n, err := srv.Reseal(ctx); err != nil {
		log.Warn("reseal of session secrets incomplete", zap.Int("resealed", n), zap.Error(err))
	} else if n > 0 {
		log.Info("session secrets resealed", zap.Int("resealed", n))
	}
	memlimit.ReturnStartGarbage(log)
	<-ctx.Done()
	log.Info("shutting down")
	// The signal context is done; give the drain its own deadline.
	stopCtx, cancelStop := context.WithTimeout(context.Background(), stopTimeout)
	defer cancelStop()
	return srv.Stop(stopCtx)
}
