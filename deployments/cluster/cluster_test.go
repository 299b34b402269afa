package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/lease"
	"github.com/switchboard-gw/switchboard/shared/subject"
	"github.com/switchboard-gw/switchboard/worker/ownership"
)

const (
	adminKey = "cluster-test-admin-key"
	// tenant is the admin key's tenant.
	tenant = "default"
	// startWait bounds the start of the whole cluster.
	startWait = 90 * time.Second
)

func TestMain(m *testing.M) {
	if !isShort() {
		if err := build(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

// isShort reads -test.short before testing.Short may be called.
func isShort() bool {
	for _, a := range os.Args[1:] {
		if a == "-test.short" || a == "-test.short=true" {
			return true
		}
	}
	return false
}

// options shape a test cluster.
type options struct {
	workers, apis, schedulers int
	shards                    int
	// rate and burst set SWITCHBOARD_RECONNECT_RATE and _BURST (0 = default).
	rate  float64
	burst int
	// simAddr is the control address of a simulator the test runs itself;
	// "" starts bin/wasim.
	simAddr string
	// dbURL is a database the test prepared; "" creates a fresh one.
	dbURL    string
	logLevel string
}

// cluster is a running local cluster and the test's view of it.
type cluster struct {
	tb      testing.TB
	opt     options
	dir     string
	nats    []*natsNode
	dbURL   string
	sim     *proc
	simCtl  string
	apis    []*proc
	apiURLs []string
	workers map[string]*proc
	scheds  []*proc
	procs   []*proc
	nworker int

	nc  *nats.Conn
	js  jetstream.JetStream
	kv  *bus.Buckets
	obs *observer
	api *apiClient
}

// newCluster starts NATS, the simulator, the api, the workers and the
// schedulers, and waits until every shard has its target owner.
func newCluster(tb testing.TB, opt options) *cluster {
	tb.Helper()
	if testing.Short() {
		tb.Skip("cluster: real processes")
	}
	if opt.shards == 0 {
		opt.shards = 64
	}
	if opt.logLevel == "" {
		opt.logLevel = "info"
	}
	c := &cluster{tb: tb, opt: opt, dir: tb.TempDir(), workers: map[string]*proc{}}
	if keep := os.Getenv("CLUSTER_TEST_LOGS"); keep != "" {
		// Kept after the test, for reading the logs of a failure.
		c.dir = filepath.Join(keep, strings.ReplaceAll(tb.Name(), "/", "_"))
		_ = os.RemoveAll(c.dir)
		if err := os.MkdirAll(c.dir, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	tb.Cleanup(c.dumpOnFailure)
	c.nats = startNATS(tb, c.dir)
	for _, n := range c.nats {
		c.procs = append(c.procs, n.proc)
	}
	c.connect()
	c.dbURL = opt.dbURL
	if c.dbURL == "" {
		c.dbURL = devstoretest.PostgresURL(tb)
	}
	c.simCtl = opt.simAddr
	if c.simCtl == "" {
		c.simCtl = fmt.Sprintf("127.0.0.1:%d", freePort(tb))
		c.sim = c.start("wasim", nil, "wasim", "--ws-addr", "127.0.0.1:0", "--control-addr", c.simCtl, "--qr-refs", "2")
		c.api = newAPIClient(nil, c.simCtl)
		eventually(tb, startWait, "simulator up", func() (bool, string) {
			_, err := c.api.simStats(context.Background())
			return err == nil, fmt.Sprint(err)
		})
	}
	for i := range max(opt.apis, 1) {
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(tb))
		c.apis = append(c.apis, c.start(fmt.Sprintf("api-%d", i+1), []string{"SWITCHBOARD_HTTP_ADDR=" + addr}, "switchboard-api"))
		c.apiURLs = append(c.apiURLs, "http://"+addr)
	}
	c.api = newAPIClient(c.apiURLs, c.simCtl)
	for _, u := range c.apiURLs {
		eventually(tb, startWait, "api "+u+" up", func() (bool, string) {
			err := c.api.healthy(context.Background(), u)
			return err == nil, fmt.Sprint(err)
		})
	}
	for range opt.workers {
		c.addWorker()
	}
	for i := range opt.schedulers {
		c.scheds = append(c.scheds, c.start(fmt.Sprintf("scheduler-%d", i+1),
			[]string{fmt.Sprintf("SWITCHBOARD_WORKER_ID=scheduler-%d", i+1)}, "switchboard-scheduler"))
	}
	c.waitBalanced(startWait)
	return c
}

// env is what every Switchboard process of the cluster gets.
func (c *cluster) env() []string {
	env := []string{
		"SWITCHBOARD_NATS_URL=" + natsURLs(c.nats),
		"SWITCHBOARD_DATABASE_URL=" + c.dbURL,
		"SWITCHBOARD_WA_SIMULATOR=" + c.simCtl,
		"SWITCHBOARD_REPLICAS=3",
		fmt.Sprintf("SWITCHBOARD_SHARDS=%d", c.opt.shards),
		"SWITCHBOARD_ADMIN_KEY=" + adminKey,
		"SWITCHBOARD_HEALTHCHECK_INTERVAL=1m",
		"SWITCHBOARD_LOG_LEVEL=" + c.opt.logLevel,
		// Several workers and schedulers share the host: no fixed :9090.
		"SWITCHBOARD_METRICS_ADDR=127.0.0.1:0",
		// The suite drives thousands of requests with the one admin key;
		// per-key limits have their own tests in api/httpapi.
		"SWITCHBOARD_RATE_LIMIT=0",
	}
	if c.opt.rate > 0 {
		env = append(env, fmt.Sprintf("SWITCHBOARD_RECONNECT_RATE=%g", c.opt.rate))
	}
	if c.opt.burst > 0 {
		env = append(env, fmt.Sprintf("SWITCHBOARD_RECONNECT_BURST=%d", c.opt.burst))
	}
	return env
}

// start runs one binary of bin/ with the cluster environment plus extra.
func (c *cluster) start(name string, extra []string, binary string, args ...string) *proc {
	c.tb.Helper()
	env := extra
	if binary != "wasim" {
		env = append(c.env(), extra...)
	}
	p := startProc(c.tb, c.dir, name, env, filepath.Join(bin, binary), args...)
	c.procs = append(c.procs, p)
	return p
}

// addWorker starts worker-<n> and returns its id.
func (c *cluster) addWorker() string {
	c.tb.Helper()
	c.nworker++
	id := fmt.Sprintf("worker-%d", c.nworker)
	c.workers[id] = c.start(id, []string{"SWITCHBOARD_WORKER_ID=" + id}, "switchboard-worker")
	return id
}

// liveWorkers are the ids of the worker processes still running.
func (c *cluster) liveWorkers() []string {
	var ids []string
	for id, p := range c.workers {
		if p.running() {
			ids = append(ids, id)
		}
	}
	return ids
}

// connect opens the test's own NATS connection, declares the streams and
// buckets as every process does (so the processes find them in place), and
// starts the observer.
func (c *cluster) connect() {
	c.tb.Helper()
	nc, err := bus.Connect(natsURLs(c.nats), "cluster-test")
	if err != nil {
		c.tb.Fatal(err)
	}
	c.tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		c.tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startWait)
	defer cancel()
	b, err := bus.Ensure(ctx, js, bus.Config{Shards: c.opt.shards, Replicas: 3})
	if err != nil {
		c.tb.Fatal(err)
	}
	c.nc, c.js, c.kv = nc, js, b
	c.obs = newObserver(c.tb, b)
}

// waitBalanced waits until every shard is held by its rendezvous target
// among the running workers.
func (c *cluster) waitBalanced(within time.Duration) {
	c.tb.Helper()
	eventually(c.tb, within, "every shard held by its target", func() (bool, string) {
		live := c.liveWorkers()
		if len(live) == 0 {
			return true, ""
		}
		want := c.targets(live)
		held := c.obs.leaseHolders()
		bad := 0
		for p, w := range want {
			if held[p] != w {
				bad++
			}
		}
		return bad == 0, fmt.Sprintf("%d of %d shards not yet with their target", bad, len(want))
	})
}

// targets maps every shard to its rendezvous owner among workers.
func (c *cluster) targets(workers []string) map[int]string {
	out := map[int]string{}
	for p := range c.opt.shards {
		out[p] = lease.Rendezvous(subject.LeaseKey(p), workers)
	}
	return out
}

// shardsOf are the shards rendezvous gives worker among workers.
func (c *cluster) shardsOf(worker string, workers []string) map[int]bool {
	return ownership.Targets(worker, workers, c.opt.shards)
}

// dumpOnFailure prints the end of every process log of a failed test.
func (c *cluster) dumpOnFailure() {
	if !c.tb.Failed() {
		return
	}
	for _, p := range c.procs {
		c.tb.Logf("---- %s (%s) ----\n%s", p.name, p.log, p.tail(25))
	}
}

// errNotAccepted marks an api answer other than success.
var errNotAccepted = errors.New("not accepted")
