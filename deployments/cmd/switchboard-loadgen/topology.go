package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

const adminKey = "bench-scale-admin-key"

// noRateLimit lifts the per-key request limit: the load clients poll with
// one admin key, and the run measures the gateway, not its limiter.
const noRateLimit = "SWITCHBOARD_RATE_LIMIT=0"

// startSimulators runs cfg.sims bin/wasim processes sharing one Noise root
// key, with disjoint LID ranges, and waits for their control APIs. The
// gateway spreads the devices over them (SWITCHBOARD_WA_SIMULATOR lists
// every one).
func (r *run) startSimulators(ctx context.Context) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	keyFile := filepath.Join(r.dir, "wasim-root.key")
	if r.cfg.reuse {
		// A kept run's simulators keep their root key in their state files.
		keyFile = ""
	} else if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(key)), 0o600); err != nil {
		return err
	}
	for i := range r.cfg.sims {
		port, err := freePort()
		if err != nil {
			return err
		}
		ctl := fmt.Sprintf("127.0.0.1:%d", port)
		args := []string{"--ws-addr", "127.0.0.1:0", "--control-addr", ctl,
			"--first-lid", fmt.Sprint(firstLID + uint64(i)*lidRange)}
		if keyFile != "" {
			args = append(args, "--root-key-file", keyFile)
		}
		name := "wasim"
		if i > 0 {
			// One pprof address (WASIM_PPROF_ADDR) serves the first only.
			name = fmt.Sprintf("wasim-%d", i+1)
			args = append(args, "--pprof-addr=")
		}
		if r.cfg.keep != "" && r.cfg.workers == 1 {
			// Kept standalone runs keep the simulated phones too, so
			// SCALE_REUSE can log the same sessions in again. (Not for a
			// cluster, which cannot be reused: the state file's writes
			// doubled the simulator's CPU per link at 15,000 devices.)
			args = append(args, "--state-file", filepath.Join(r.dir, name+"-state.json"))
		}
		p, err := r.start(name, "wasim", nil, args...)
		if err != nil {
			return err
		}
		r.sims, r.simCtls = append(r.sims, p), append(r.simCtls, ctl)
		if err := newClient(nil, nil, "", 1).waitUp(ctx, "http://"+ctl+"/stats"); err != nil {
			return err
		}
	}
	return nil
}

// firstLID and lidRange give each simulator its own LIDs.
const (
	firstLID = 100000000000001
	lidRange = 1000000000
)

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
		"SWITCHBOARD_WA_SIMULATOR=" + strings.Join(r.simCtls, ","),
		"SWITCHBOARD_WORKER_ID=bench-standalone",
		noRateLimit,
	})
	if err != nil {
		return err
	}
	r.gateway = []*proc{p}
	return newClient(nil, nil, adminKey, 1).waitUp(ctx, "http://"+r.apiAddr+"/api/v1/sessions?limit=1")
}

// startCluster runs bin/nats-server, a fresh Postgres database, one api
// and cfg.workers workers.
func (r *run) startCluster(ctx context.Context) error {
	natsPort, err := freePort()
	if err != nil {
		return err
	}
	args := []string{"-js", "-a", "127.0.0.1", "-p", fmt.Sprint(natsPort), "-sd", filepath.Join(r.dir, "nats")}
	natsProf, err := r.pprofAddr()
	if err != nil {
		return err
	}
	if natsProf != "" {
		_, port, _ := strings.Cut(natsProf, ":")
		args = append(args, "--profile", port)
	}
	nats, err := r.start("nats", "nats-server", nil, args...)
	if err != nil {
		return err
	}
	nats.pprof = natsProf
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
		"SWITCHBOARD_WA_SIMULATOR=" + strings.Join(r.simCtls, ","),
	}
	api, err := r.start("api", "switchboard-api", append(r.env, "SWITCHBOARD_HTTP_ADDR="+r.apiAddr, noRateLimit))
	if err != nil {
		return err
	}
	r.gateway = append(r.gateway, api)
	for i := range r.cfg.workers {
		id := fmt.Sprintf("worker-%d", i+1)
		prof, err := r.pprofAddr()
		if err != nil {
			return err
		}
		// Metrics on a free port each: the default :9090 is one per host.
		w, err := r.start(id, "switchboard-worker", append(r.env, "SWITCHBOARD_WORKER_ID="+id,
			"SWITCHBOARD_METRICS_ADDR=127.0.0.1:0", "SWITCHBOARD_PPROF_ADDR="+prof))
		if err != nil {
			return err
		}
		w.pprof = prof
		r.gateway = append(r.gateway, w)
		r.workers = append(r.workers, w)
	}
	return newClient(nil, nil, adminKey, 1).waitUp(ctx, "http://"+r.apiAddr+"/api/v1/sessions?limit=1")
}

// pprofAddr is a free loopback address for a cluster process's profiles
// when SCALE_PROFILE asks for them, else "" (profiling off).
func (r *run) pprofAddr() (string, error) {
	if r.cfg.profile <= 0 {
		return "", nil
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", port), nil
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
