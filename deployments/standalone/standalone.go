// Package standalone runs the whole gateway in one process: an embedded
// nats-server with JetStream on disk, the api, one worker owning every shard
// through the same lease code as a cluster, webhook delivery, the scheduler,
// SQLite, and optionally the built-in WhatsApp simulator.
package standalone

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/api/httpapi"
	"github.com/switchboard-gw/switchboard/scheduler/scheduler"
	"github.com/switchboard-gw/switchboard/shared/config"
	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/natsembed"
	"github.com/switchboard-gw/switchboard/shared/ops"
	"github.com/switchboard-gw/switchboard/shared/wasim"
	"github.com/switchboard-gw/switchboard/worker/webhook"
	"github.com/switchboard-gw/switchboard/worker/worker"
)

// simStateFile is where the built-in simulator keeps its state.
const simStateFile = "wasim-state.json"

// Config is the standalone configuration.
type Config struct {
	config.Config
	// Simulator starts the built-in WhatsApp simulator and points the worker
	// at it.
	Simulator bool
	// SimulatorRootKey, when set, is the built-in simulator's Noise root
	// private key (whatsmeow trusts one root per process; tests share it).
	// Default: generated once and kept in the simulator's state file.
	SimulatorRootKey []byte
	// Banner receives the one-time admin key and the addresses; stdout in the
	// binary. It is not the log: secrets never go to the logger.
	Banner io.Writer
}

// Gateway is the running standalone gateway.
type Gateway struct {
	cfg Config
	log *zap.Logger

	ns    *natsembed.Server
	conns *roleConns
	sim   *wasim.Server
	ds    *devstore.Store
	wrk   *worker.Worker
	hooks *webhook.Dispatcher
	sched *scheduler.Scheduler
	api   *httpapi.Server

	// reg and probe are shared by every role and served on the api port.
	reg   *prometheus.Registry
	probe *ops.Probe
}

// New checks the configuration; Start brings everything up.
func New(cfg Config, log *zap.Logger) (*Gateway, error) {
	if cfg.Banner == nil {
		cfg.Banner = io.Discard
	}
	if cfg.DataDir == "" {
		return nil, errors.New("standalone: data dir is required")
	}
	return &Gateway{cfg: cfg, log: log}, nil
}

// Start starts the parts in dependency order. On error, whatever started is
// stopped again.
func (g *Gateway) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			_ = g.Stop(context.WithoutCancel(ctx))
		}
	}()
	cfg := g.cfg
	if err := prepareDataDir(cfg.DataDir); err != nil {
		return err
	}
	box, err := g.masterKey(&cfg)
	if err != nil {
		return err
	}
	ban := banner{dataDir: cfg.DataDir, keyFrom: "from SWITCHBOARD_ADMIN_KEY"}
	if cfg.AdminKey == "" {
		key, created, err := loadOrCreateAdminKey(cfg.DataDir)
		if err != nil {
			return err
		}
		cfg.AdminKey = key
		ban.keyFrom = "in " + filepath.Join(cfg.DataDir, adminKeyFile)
		if created {
			ban.newKey = key
		}
	}
	roles, err := RoleConfigs(cfg.Config)
	if err != nil {
		return err
	}

	if cfg.NATSURL == "" {
		g.ns, err = natsembed.Start(natsembed.Config{StoreDir: filepath.Join(cfg.DataDir, "jetstream")})
		if err != nil {
			return err
		}
	}
	if g.conns, err = g.openConns(ctx, cfg.NATSURL, cfg.Bus()); err != nil {
		return err
	}
	c := g.conns

	dbURL := cfg.DatabaseURL
	if dbURL == "" {
		dbURL = "sqlite:" + filepath.Join(cfg.DataDir, "switchboard.db")
	}
	if g.ds, err = devstore.Open(ctx, dbURL, g.log); err != nil {
		return err
	}
	g.ds.SetBox(box)

	simAddr := cfg.WASimulator
	if cfg.Simulator {
		g.sim, err = wasim.New(wasim.Config{
			WSAddr: cfg.SimWSAddr, ControlAddr: cfg.SimControlAddr, Logger: g.log.Named("wasim"),
			// The simulator remembers its linked devices across restarts, so
			// a restarted demo does not log every session out.
			StateFile:      filepath.Join(cfg.DataDir, simStateFile),
			RootPrivateKey: cfg.SimulatorRootKey,
		})
		if err != nil {
			return err
		}
		if err := g.sim.Start(ctx); err != nil {
			return err
		}
		simAddr = g.sim.ControlAddr()
		ban.simulator = simAddr
	}
	// One registry and one probe for every role: the api port serves them.
	g.reg, g.probe = ops.NewRegistry(), ops.NewProbe()
	// The worker points whatsmeow at the simulator itself when simAddr is set.
	roles.Worker.Simulator = simAddr
	roles.Worker.Box = box
	roles.Worker.Registry = g.reg
	roles.Worker.Ownership = c.ownership.Buckets
	g.wrk, err = worker.New(roles.Worker, c.worker.NC, c.worker.JS, c.worker.Buckets, g.ds, g.log)
	if err != nil {
		return err
	}
	g.probe.Add(g.wrk.Checks()...)
	if err := g.wrk.Start(ctx); err != nil {
		return err
	}
	hookMetrics, err := webhook.NewMetrics(g.reg)
	if err != nil {
		return err
	}
	guard, err := cfg.WebhookPolicy()
	if err != nil {
		return err
	}
	g.hooks, err = webhook.New(webhook.Config{
		Leases: c.webhook.Buckets.Leases, Holder: cfg.WorkerID, Guard: guard, DeadLetterRetention: cfg.DeadLetterRetention,
		Box: box, Sealer: box, Retention: cfg.EventRetention,
		Metrics: hookMetrics,
	}, c.webhook.JS, c.webhook.Buckets.Sessions, g.ds, g.log)
	if err != nil {
		return err
	}
	if err := g.hooks.Start(ctx); err != nil {
		return err
	}
	roles.Scheduler.Registry = g.reg
	g.sched, err = scheduler.New(roles.Scheduler, c.scheduler.JS, c.scheduler.Buckets, g.log)
	if err != nil {
		return err
	}
	g.probe.Add(g.sched.Checks(c.scheduler.NC)...)
	if err := g.sched.Start(ctx); err != nil {
		return err
	}
	roles.API.Box = box
	roles.API.Registry, roles.API.Probe = g.reg, g.probe
	g.api, err = httpapi.New(roles.API, c.api.NC, c.api.JS, c.api.Buckets, g.log)
	if err != nil {
		return err
	}
	if err := g.api.Start(ctx); err != nil {
		return err
	}
	// Records still plaintext or sealed with a previous master key get the
	// current one (a standalone holds few sessions: done before returning).
	if n, err := g.api.Reseal(ctx); err != nil {
		return err
	} else if n > 0 {
		g.log.Info("session secrets resealed", zap.Int("resealed", n))
	}
	ban.addr = g.api.Addr()
	ban.write(cfg.Banner)
	return nil
}

// APIAddr is the address the HTTP api listens on.
func (g *Gateway) APIAddr() string { return g.api.Addr() }

// SimulatorControlAddr is the built-in simulator's control address, or "".
func (g *Gateway) SimulatorControlAddr() string {
	if g.sim == nil {
		return ""
	}
	return g.sim.ControlAddr()
}

// Stop stops the parts: the api, the scheduler, the webhook dispatcher and
// the worker at once (they share nothing but NATS and the device store; a
// command the api accepts while the worker stops stays in its stream for
// the next start; the worker disconnects every session, never logging out,
// so they come back on the next start, and records them as connecting; the
// api's drain of in-flight requests no longer delays the worker's); then
// the device store and NATS, also at once. It logs how long each part took.
func (g *Gateway) Stop(ctx context.Context) error {
	var (
		mu    sync.Mutex
		errs  []error
		took  []zap.Field
		start = time.Now()
		wg    sync.WaitGroup
	)
	part := func(name string, stop func() error) {
		t := time.Now()
		err := stop()
		mu.Lock()
		errs = append(errs, err)
		took = append(took, zap.Duration(name, time.Since(t)))
		mu.Unlock()
	}
	if g.api != nil {
		wg.Go(func() { part("api", func() error { return g.api.Stop(ctx) }) })
	}
	if g.sched != nil {
		wg.Go(func() { part("scheduler", func() error { return g.sched.Stop(ctx) }) })
	}
	if g.hooks != nil {
		wg.Go(func() { part("webhooks", func() error { return g.hooks.Stop(ctx) }) })
	}
	if g.wrk != nil {
		wg.Go(func() { part("worker", func() error { return g.wrk.Stop(ctx) }) })
	}
	wg.Wait()
	if g.sim != nil {
		part("simulator", func() error { return g.sim.Stop(ctx) })
	}
	if g.ds != nil {
		wg.Go(func() { part("devstore", g.ds.Close) })
	}
	wg.Go(func() {
		part("nats", func() error {
			if g.conns != nil {
				g.conns.close()
			}
			if g.ns != nil {
				g.ns.Shutdown()
			}
			return nil
		})
	})
	wg.Wait()
	g.log.Info("gateway stopped", append(took, zap.Duration("total", time.Since(start)))...)
	return errors.Join(errs...)
}
