// Command switchboard-scheduler runs one scheduler replica against a NATS
// JetStream cluster: it joins the leader election and, while leading, sweeps
// every session on SWITCHBOARD_HEALTHCHECK_INTERVAL.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/scheduler/scheduler"
	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/config"
	"github.com/switchboard-gw/switchboard/shared/logging"
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

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	startCtx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	conn, err := bus.Open(startCtx, cfg.NATSURL, "switchboard-scheduler", bus.Config{Shards: cfg.Shards, Replicas: cfg.Replicas})
	if err != nil {
		return err
	}
	defer conn.Close()
	sched, err := scheduler.New(scheduler.Config{
		ID: cfg.WorkerID, Interval: cfg.HealthcheckInterval, Shards: cfg.Shards,
	}, conn.JS, conn.Buckets, log)
	if err != nil {
		return err
	}
	if err := sched.Start(startCtx); err != nil {
		return err
	}
	metricsErr := make(chan error, 1)
	var srv *http.Server
	if cfg.SchedulerMetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", sched.MetricsHandler())
		srv = &http.Server{Addr: cfg.SchedulerMetricsAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { metricsErr <- srv.ListenAndServe() }()
		log.Info("serving metrics", zap.String("addr", cfg.SchedulerMetricsAddr))
	}
	var errs []error
	select {
	case <-ctx.Done():
	case err := <-metricsErr:
		errs = append(errs, fmt.Errorf("metrics server: %w", err))
	}
	log.Info("shutting down")
	// The signal context may be done; give the shutdown its own deadline.
	stopCtx, cancelStop := context.WithTimeout(context.Background(), stopTimeout)
	defer cancelStop()
	errs = append(errs, sched.Stop(stopCtx))
	if srv != nil {
		errs = append(errs, srv.Shutdown(stopCtx))
	}
	return errors.Join(errs...)
}
