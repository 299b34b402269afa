// Command switchboard-scheduler runs one scheduler replica against a NATS
// JetStream cluster: it joins the leader election and, while leading, sweeps
// every session on SWITCHBOARD_HEALTHCHECK_INTERVAL.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/switchboard-gw/switchboard/scheduler/scheduler"
	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/config"
	"github.com/switchboard-gw/switchboard/shared/logging"
	"github.com/switchboard-gw/switchboard/shared/memlimit"
	"github.com/switchboard-gw/switchboard/shared/ops"
	"github.com/switchboard-gw/switchboard/shared/profiling"
)

const (
	startTimeout = 60 * time.Second
	stopTimeout  = 15 * time.Second
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard-scheduler:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if cfg.NATSURL == "" {
		return errors.New("SWITCHBOARD_NATS_URL is required (the standalone binary embeds NATS)")
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
	conn, err := bus.Open(startCtx, cfg.NATSURL, "switchboard-scheduler", cfg.Bus(), bus.ErrorLog(log))
	if err != nil {
		return err
	}
	defer conn.Close()
	reg := ops.NewRegistry()
	scfg := scheduler.ConfigFrom(cfg)
	scfg.Registry = reg
	sched, err := scheduler.New(scfg, conn.JS, conn.Buckets, log)
	if err != nil {
		return err
	}
	// SWITCHBOARD_METRICS_ADDR (or the older SWITCHBOARD_SCHEDULER_METRICS_ADDR)
	opsSrv, err := ops.NewServer(ops.ServerConfig{Addr: cfg.MetricsAddr, Gatherer: reg, Probe: ops.NewProbe(sched.Checks(conn.NC)...)}, log)
	if err != nil {
		return err
	}
	if err := opsSrv.Start(startCtx); err != nil {
		return err
	}
	if err := sched.Start(startCtx); err != nil {
		return errors.Join(err, opsSrv.Stop(context.WithoutCancel(ctx)))
	}
	memlimit.ReturnStartGarbage(log)
	var errs []error
	select {
	case <-ctx.Done():
	case err := <-opsSrv.Done():
		errs = append(errs, fmt.Errorf("metrics server: %w", err))
	}
	log.Info("shutting down")
	// The signal context may be done; give the shutdown its own deadline.
	stopCtx, cancelStop := context.WithTimeout(context.Background(), stopTimeout)
	defer cancelStop()
	errs = append(errs, sched.Stop(stopCtx), opsSrv.Stop(stopCtx))
	return errors.Join(errs...)
}
