// Command switchboard-loadgen measures Switchboard from outside (make
// bench-scale): it starts the gateway (the standalone, or with
// SCALE_WORKERS ≥ 2 a local cluster of nats-server, api and workers) and
// bin/wasim as separate processes, links SCALE_N sessions through the HTTP
// api with SCALE_C concurrent clients, and prints from /proc the memory
// per session, the idle CPU, the link rate and latency, and what a restart
// (or a kill -9 of one worker) costs, as the simulator counts it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// config is read from SCALE_* variables.
type config struct {
	n, conc, workers int
	// sims is how many bin/wasim processes share the devices (SCALE_SIMS;
	// default: as many as the open-file limit asks for).
	sims      int
	idle      time.Duration
	bin, keep string
	pgAdmin   string
	// restarts is how many times the standalone is restarted (SCALE_RESTARTS).
	restarts int
	// profile, when positive, is how long a CPU profile of the gateway and
	// of the simulator is taken from the start of each restart
	// (SCALE_PROFILE; needs SWITCHBOARD_PPROF_ADDR and WASIM_PPROF_ADDR).
	profile time.Duration
	// reuse skips linking: the gateway's data and the simulator's state
	// in keep hold n linked sessions from an earlier run.
	reuse bool
}

func loadConfig() (config, error) {
	c := config{
		n: envInt("SCALE_N", 10000), conc: envInt("SCALE_C", 64), workers: envInt("SCALE_WORKERS", 1),
		bin: envStr("SCALE_BIN", "bin"), keep: os.Getenv("SCALE_KEEP"),
		pgAdmin:  envStr("SCALE_PG", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		restarts: envInt("SCALE_RESTARTS", 1),
		reuse:    os.Getenv("SCALE_REUSE") == "1",
		sims:     envInt("SCALE_SIMS", 0),
	}
	if v := os.Getenv("SCALE_PROFILE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return c, fmt.Errorf("SCALE_PROFILE: %w", err)
		}
		c.profile = d
	}
	idle, err := time.ParseDuration(envStr("SCALE_IDLE", "300s"))
	if err != nil {
		return c, fmt.Errorf("SCALE_IDLE: %w", err)
	}
	c.idle = idle
	if c.n < 1 || c.conc < 1 || c.workers < 1 || c.restarts < 1 || c.sims < 0 {
		return c, fmt.Errorf("SCALE_N, SCALE_C, SCALE_WORKERS and SCALE_RESTARTS must be positive, SCALE_SIMS not negative")
	}
	if c.reuse && (c.keep == "" || c.workers > 1) {
		return c, fmt.Errorf("SCALE_REUSE=1 needs SCALE_KEEP (the dir of an earlier standalone run) and SCALE_WORKERS=1")
	}
	return c, nil
}

func envStr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// run is one measurement run and the processes it started.
type run struct {
	cfg     config
	dir     string
	bin     string
	procs   []*proc
	sims    []*proc
	simCtls []string
	gateway []*proc // every Switchboard process (and nats-server)
	workers []*proc
	apiAddr string
	dbURL   string
	dbName  string
	env     []string
}

func main() {
	if err := mainErr(); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard-loadgen:", err)
		os.Exit(1)
	}
}

func mainErr() error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	raiseNoFile()
	if cfg, err = checkNoFile(cfg); err != nil {
		return err
	}
	bin, err := filepath.Abs(cfg.bin)
	if err != nil {
		return err
	}
	dir := cfg.keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "bench-scale-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r := &run{cfg: cfg, dir: dir, bin: bin}
	defer func() {
		r.stopAll()
		if cfg.keep == "" {
			r.dropDatabase()
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return r.measure(ctx)
}

// stopAll kills every process still running.
func (r *run) stopAll() {
	for i := len(r.procs) - 1; i >= 0; i-- {
		r.procs[i].kill()
	}
}
