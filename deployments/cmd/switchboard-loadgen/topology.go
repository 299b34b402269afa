package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
)

const adminKey = "bench-scale-admin-key"

// noRateLimit lifts the per-key request limit: the load clients poll with
// one admin key, and the run measures the gateway, not its limiter.
const noRateLimit = "SWITCHBOARD_RATE_LIMIT=0"

// startSimulator runs bin/wasim and waits for its control API.
func (r *run) startSimulator(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	r.simCtl = fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"--ws-addr", "127.0.0.1:0", "--control-addr", r.simCtl}
	if r.cfg.keep != "" {
		// Kept runs keep the simulated phones too, so SCALE_REUSE can log
		// the same sessions in again.
		args = append(args, "--state-file", filepath.Join(r.dir, "wasim-state.json"))
	}
	if r.sim, err = r.start("wasim", "wasim", nil, args...); err != nil {
		return err
	}
	c := newClient(nil, r.simCtl, "", 1)
	return c.waitUp(ctx, "http://"+r.simCtl+"/stats")
}

// startStandalone runs bin/switchboard on the run's data dir.
func (r *run) startStandalone(ctx context.Context) error {
	if r.apiAddr == "" {
		port, err := freePort()
		if err != nil {
			return err
		}
		r.apiAddr = fmt.Sprintf("127.0.0.1:%d", port)
	}
	p, err := r.start("switchboard", "switchboard", []string{
		"SWITCHBOARD_HTTP_ADDR=" + r.apiAddr,
		"SWITCHBOARD_DATA_DIR=" + filepath.Join(r.dir, "data"),
		"SWITCHBOARD_ADMIN_KEY=" + adminKey,
		"SWITCHBOARD_WA_SIMULATOR=" + r.simCtl,
		"SWITCHBOARD_WORKER_ID=bench-standalone",
		noRateLimit,
	})
	if err != nil {
		return err
	}
	r.gateway = []*proc{p}
	return newClient(nil, "", adminKey, 1).waitUp(ctx, "http://"+r.apiAddr+"/api/v1/sessions?limit=1")
}

// startCluster runs bin/nats-server, a fresh Postgres database, one api
// and cfg.workers workers.
func (r *run) startCluster(ctx context.Context) error {
	natsPort, err := freePort()
	if err != nil {
		return err
	}
	nats, err := r.start("nats", "nats-server", nil, "-js", "-a", "127.0.0.1", "-p", fmt.Sprint(natsPort),
		"-sd", filepath.Join(r.dir, "nats"))
	if err != nil {
		return err
	}
	r.gateway = append(r.gateway, nats)
	if r.dbURL, r.dbName, err = createDatabase(ctx, r.cfg.pgAdmin); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	r.apiAddr = fmt.Sprintf("127.0.0.1:%d", port)
	r.env = []string{
		fmt.Sprintf("SWITCHBOARD_NATS_URL=nats://127.0.0.1:%d", natsPort),
		"SWITCHBOARD_DATABASE_URL=" + r.dbURL,
		"SWITCHBOARD_ADMIN_KEY=" + adminKey,
		"SWITCHBOARD_WA_SIMULATOR=" + r.simCtl,
	}
	api, err := r.start("api", "switchboard-api", append(r.env, "SWITCHBOARD_HTTP_ADDR="+r.apiAddr, noRateLimit))
	if err != nil {
		return err
	}
	r.gateway = append(r.gateway, api)
	for i := range r.cfg.workers {
		id := fmt.Sprintf("worker-%d", i+1)
		// Metrics on a free port each: the default :9090 is one per host.
		w, err := r.start(id, "switchboard-worker", append(r.env, "SWITCHBOARD_WORKER_ID="+id,
			"SWITCHBOARD_METRICS_ADDR=127.0.0.1:0"))
		if err != nil {
			return err
		}
		r.gateway = append(r.gateway, w)
		r.workers = append(r.workers, w)
	}
	return newClient(nil, "", adminKey, 1).waitUp(ctx, "http://"+r.apiAddr+"/api/v1/sessions?limit=1")
}

// createDatabase creates a fresh database on the Postgres at admin and
// returns its URL and name.
func createDatabase(ctx context.Context, admin string) (string, string, error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", "", fmt.Errorf("postgres (%s) is required for a cluster run: %w", admin, err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("switchboard_scale_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", "", err
	}
	cfg, err := pgx.ParseConfig(admin)
	if err != nil {
		return "", "", err
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name), name, nil
}

// dropDatabase drops the run's database (after its processes are gone): a
// run's tens of thousands of device rows are not left on the shared
// Postgres unless SCALE_KEEP asks for them.
func (r *run) dropDatabase() {
	if r.dbName == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, r.cfg.pgAdmin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "switchboard-loadgen: database not dropped:", err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+r.dbName+" WITH (FORCE)"); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard-loadgen: database not dropped:", err)
	}
}
