// Command switchboard-worker runs one worker against a NATS JetStream
// cluster and a Postgres (or SQLite) device store: it takes its share of the
// shards and holds the WhatsApp connections of their sessions.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/config"
	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/logging"
	"github.com/switchboard-gw/switchboard/shared/memlimit"
	"github.com/switchboard-gw/switchboard/shared/ops"
	"github.com/switchboard-gw/switchboard/shared/profiling"
	"github.com/switchboard-gw/switchboard/shared/secretbox"
	"github.com/switchboard-gw/switchboard/worker/webhook"
	"github.com/switchboard-gw/switchboard/worker/worker"
)

const (
	startTimeout = 60 * time.Second
	// drainTimeout bounds the hand-off of every shard on SIGTERM; give the
	// process at least this long before a SIGKILL.
	drainTimeout = 60 * time.Second
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard-worker:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	// The standalone binary (switchboard) embeds both.
	if cfg.NATSURL == "" {
		return errors.New("SWITCHBOARD_NATS_URL is required (the standalone binary, switchboard, embeds NATS)")
	}
	if cfg.DatabaseURL == "" {
		return errors.New("SWITCHBOARD_DATABASE_URL is required (the standalone binary, switchboard, embeds SQLite)")
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

	// Three connections: session traffic, shard ownership (lease renewals
	// and heartbeats must never queue behind session traffic on one socket)
	// and webhook delivery.
	conn, err := bus.Open(startCtx, cfg.NATSURL, "switchboard-worker-"+cfg.WorkerID, cfg.Bus(), bus.ErrorLog(log))
	if err != nil {
		return err
	}
	defer conn.Close()
	ownConn, err := bus.Open(startCtx, cfg.NATSURL, "switchboard-worker-"+cfg.WorkerID+"-ownership", cfg.Bus(), bus.ErrorLog(log))
	if err != nil {
		return err
	}
	defer ownConn.Close()
	hookConn, err := bus.Open(startCtx, cfg.NATSURL, "switchboard-worker-"+cfg.WorkerID+"-webhook", cfg.Bus(), bus.ErrorLog(log))
	if err != nil {
		return err
	}
	defer hookConn.Close()
	ds, err := devstore.Open(startCtx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer ds.Close()
	ds.SetBox(box)

	reg := ops.NewRegistry()
	// The worker points whatsmeow at cfg.WASimulator itself when it is set.
	wcfg := worker.ConfigFrom(cfg)
	wcfg.Box = box
	wcfg.Registry = reg
	wcfg.Ownership = ownConn.Buckets
	w, err := worker.New(wcfg, conn.NC, conn.JS, conn.Buckets, ds, log)
	if err != nil {
		return err
	}
	hookMetrics, err := webhook.NewMetrics(reg)
	if err != nil {
		return err
	}
	// Webhook delivery is the worker's second role: one durable consumer on
	// WA_EVT pulled by the holder of the webhook lease (per-session order),
	// the others standing by; every worker answers webhook control requests.
	guard, err := cfg.WebhookPolicy()
	if err != nil {
		return err
	}
	// Dead-letter bodies are sealed with the master key when one is set.
	var sealer webhook.Sealer
	if box != nil {
		sealer = box
	}
	hooks, err := webhook.New(webhook.Config{
		Leases: hookConn.Buckets.Leases, Holder: cfg.WorkerID, Guard: guard, DeadLetterRetention: cfg.DeadLetterRetention,
		Box: box, Sealer: sealer, Retention: cfg.EventRetention,
		Metrics: hookMetrics,
	},
		hookConn.JS, hookConn.Buckets.Sessions, ds, log)
	if err != nil {
		return err
	}
	// Probes answer from the start: /readyz says what is not up yet.
	// GET /drain (the chart's preStop hook) drains as SIGTERM does and
	// answers once every shard is handed off.
	drained := make(chan struct{})
	drain := func(ctx context.Context) error {
		stop()
		select {
		case <-drained:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	opsSrv, err := ops.NewServer(ops.ServerConfig{Addr: cfg.MetricsAddr, Gatherer: reg, Probe: ops.NewProbe(w.Checks()...), Drain: drain}, log)
	if err != nil {
		return err
	}
	if err := opsSrv.Start(startCtx); err != nil {
		return err
	}
	if err := w.Start(startCtx); err != nil {
		return errors.Join(err, opsSrv.Stop(context.WithoutCancel(ctx)))
	}
	if err := hooks.Start(startCtx); err != nil {
		return errors.Join(err, w.Stop(context.WithoutCancel(ctx)), opsSrv.Stop(context.WithoutCancel(ctx)))
	}
	memlimit.ReturnStartGarbage(log)
	var errs []error
	select {
	case <-ctx.Done():
	case err := <-opsSrv.Done():
		errs = append(errs, err)
	}
	// SIGTERM or SIGINT: drain (mark draining, hand every shard off, leave
	// the registry) and exit. The signal context is done; the drain gets its
	// own deadline.
	stop()
	log.Info("draining")
	stopCtx, cancelStop := context.WithTimeout(context.Background(), drainTimeout)
	defer cancelStop()
	// The probes keep answering (not ready: draining) until the drain ends.
	errs = append(errs, hooks.Stop(stopCtx), w.Stop(stopCtx))
	close(drained) // a waiting GET /drain answers before the listener stops
	errs = append(errs, opsSrv.Stop(stopCtx))
	return errors.Join(errs...)
}
