package cluster

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.mau.fi/libsignal/ecc"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/wasim"
)

// Bench knobs (environment):
//
//	FAILOVER_BENCH_N      linked sessions on the killed worker (default 2000)
//	FAILOVER_BENCH_RATE   SWITCHBOARD_RECONNECT_RATE of the workers (default: the worker's)
//	FAILOVER_BENCH_BURST  SWITCHBOARD_RECONNECT_BURST of the workers (default: the worker's)
const benchShards = 64

// BenchmarkFailover2000 measures a crash failover at the default pacing:
// 2,000 linked sessions, all on one of three workers (their ids are picked
// so that rendezvous puts them there), are logged in; the worker is killed
// with SIGKILL. Reported: kill → last session logged in again on the
// survivors (failover-s), split into kill → last of its shards taken by a
// survivor (lease-expiry-s) and from there → last session WORKING
// (reconnect-s), and the simulator's replaced count (must stay 0).
//
// The simulator runs in the test process, which registers the devices in
// it as already paired and writes their keys to the device store, so the
// setup takes seconds instead of 2,000 QR scans.
func BenchmarkFailover2000(b *testing.B) {
	n := envInt("FAILOVER_BENCH_N", 2000)
	raiseNoFile()
	sim, err := wasim.New(wasim.Config{WSAddr: "127.0.0.1:0", ControlAddr: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	must(b, sim.Start(ctx))
	b.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer scancel()
		_ = sim.Stop(sctx)
	})

	workers := []string{"worker-1", "worker-2", "worker-3"}
	victim, survivors := workers[2], workers[:2]
	dbURL := devstoretest.PostgresURL(b)
	ids := idsOn(victim, workers, n)
	setup := time.Now()
	prePairAll(b, ctx, sim, dbURL, ids)
	c := newCluster(b, options{workers: 3, apis: 1, shards: benchShards, simAddr: sim.ControlAddr(), dbURL: dbURL,
		logLevel: cmp.Or(os.Getenv("FAILOVER_BENCH_LOG"), "warn"), rate: envFloat("FAILOVER_BENCH_RATE"), burst: envInt("FAILOVER_BENCH_BURST", 0)})
	parallel(b, ids, 16, func(id string) error { return c.api.create(ctx, id) })
	c.waitWorking(ids, 10*time.Minute, "every session logged in on "+victim, onOwner(victim))
	b.Logf("setup: %d sessions pre-paired and logged in on %s in %.1fs", n, victim, time.Since(setup).Seconds())
	time.Sleep(3 * time.Second) // steady state: leases renewed, liveness written
	base := sim.Stats()

	b.ResetTimer()
	cpu0 := c.cpuSample()
	busy0, total0 := machineCPU()
	killed := time.Now()
	c.workers[victim].kill()
	last := c.waitWorking(ids, 5*time.Minute, "every session logged in again on a survivor", onOwner(survivors...))
	b.StopTimer()
	busy1, total1 := machineCPU()
	b.Logf("cpu during the failover:%s; machine %.0f%% busy", cpuSpent(cpu0, c.cpuSample()),
		100*float64(busy1-busy0)/float64(max(total1-total0, 1)))
	backs := make([]float64, 0, len(ids))
	for _, id := range ids {
		backs = append(backs, c.obs.sinceWorking(id).Sub(killed).Seconds())
	}
	slices.Sort(backs)
	b.Logf("sessions back after the kill: first %.1fs, p50 %.1fs, p90 %.1fs, last %.1fs",
		backs[0], backs[len(backs)/2], backs[len(backs)*9/10], backs[len(backs)-1])

	var taken time.Time
	for p := range c.shardsOf(victim, workers) {
		if at, _ := c.obs.leaseTimes(p); at.After(taken) {
			taken = at
		}
	}
	failover, lease := last.Sub(killed).Seconds(), taken.Sub(killed).Seconds()
	replaced := sim.Stats().Replaced - base.Replaced
	b.ReportMetric(float64(n), "sessions")
	b.ReportMetric(failover, "failover-s")
	b.ReportMetric(lease, "lease-expiry-s")
	b.ReportMetric(failover-lease, "reconnect-s")
	b.ReportMetric(float64(replaced), "replaced")
	b.Logf("kill -9 %s with %d sessions: failover %.1fs = lease expiry %.1fs + reconnects %.1fs; %d replaced",
		victim, n, failover, lease, failover-lease, replaced)
	if replaced != 0 {
		b.Errorf("%d connections replaced", replaced)
	}
}

// idsOn returns n session ids whose shards rendezvous gives worker among
// workers.
func idsOn(worker string, workers []string, n int) []string {
	c := &cluster{opt: options{shards: benchShards}}
	mine := c.shardsOf(worker, workers)
	ids := make([]string, 0, n)
	for i := 0; len(ids) < n; i++ {
		id := fmt.Sprintf("f-%d", i)
		if mine[c.shardOf(id)] {
			ids = append(ids, id)
		}
	}
	return ids
}

// prePairAll registers a device per session in the simulator as if it had
// been paired (prekeys already uploaded), saves its keys in the device
// store and links it to the session.
func prePairAll(b *testing.B, ctx context.Context, sim *wasim.Server, dbURL string, ids []string) {
	b.Helper()
	ds, err := devstore.Open(ctx, dbURL, zap.NewNop())
	must(b, err)
	defer ds.Close()
	parallel(b, ids, 8, func(id string) error {
		dev := ds.NewDevice()
		pp, err := sim.RegisterPairedDevice(fmt.Sprintf("1777%07d", phoneSeq.Add(1)), "Bench "+id, wasim.DeviceKeys{
			NoisePub: *dev.NoiseKey.Pub, IdentityPub: *dev.IdentityKey.Pub, RegistrationID: dev.RegistrationID,
			SignedPreKeyID: dev.SignedPreKey.KeyID, SignedPreKeyPub: *dev.SignedPreKey.Pub,
			SignedPreKeySig: *dev.SignedPreKey.Signature, UploadedPrekeys: 50,
		})
		if err != nil {
			return err
		}
		acct := pp.Account
		msg := append(append(append([]byte{6, 1}, acct.Details...), dev.IdentityKey.Pub[:]...), pp.AccountIdentityPub[:]...)
		sig := ecc.CalculateSignature(ecc.NewDjbECPrivateKey(*dev.IdentityKey.Priv), msg)
		acct.DeviceSignature = sig[:]
		jid := pp.JID
		dev.ID, dev.LID, dev.Account, dev.Platform = &jid, pp.LID, acct, "android"
		if err := dev.Save(ctx); err != nil {
			return err
		}
		keys, err := dev.PreKeys.GetOrGenPreKeys(ctx, 5)
		if err != nil {
			return err
		}
		if err := dev.PreKeys.MarkPreKeysAsUploaded(ctx, keys[len(keys)-1].KeyID); err != nil {
			return err
		}
		return ds.Link(ctx, tenant, id, jid)
	})
}

// parallel runs fn for every id, conc at a time, failing b on the first
// error.
func parallel(b *testing.B, ids []string, conc int, fn func(string) error) {
	b.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	slots := make(chan struct{}, conc)
	for _, id := range ids {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			if err := fn(id); err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("%s: %w", id, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func envFloat(name string) float64 {
	v, _ := strconv.ParseFloat(os.Getenv(name), 64)
	return v
}

// raiseNoFile lifts the open-file soft limit to the hard limit: the
// simulator holds a socket per session.
func raiseNoFile() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

// cpuTicks is the user+system CPU time of pid in clock ticks (0 when it is
// gone).
func cpuTicks(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}

// cpuSample is the CPU time of every process of the cluster, of Postgres
// (all its backends) and of the test process (which runs the simulator).
func (c *cluster) cpuSample() map[string]int64 {
	out := map[string]int64{"test+simulator": cpuTicks(os.Getpid())}
	for _, p := range c.procs {
		if p.running() {
			out[p.name] = cpuTicks(p.cmd.Process.Pid)
		}
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil && strings.TrimSpace(string(comm)) == "postgres" {
			out["postgres"] += cpuTicks(pid)
		}
	}
	return out
}

// cpuSpent formats the CPU seconds each part used between two samples.
func cpuSpent(before, after map[string]int64) string {
	names := make([]string, 0, len(after))
	for n := range after {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		if d := after[n] - before[n]; d > 0 {
			fmt.Fprintf(&b, " %s=%.1fs", n, float64(d)/100)
		}
	}
	return b.String()
}

// machineCPU is the busy and total jiffies of every CPU (/proc/stat).
func machineCPU() (busy, total int64) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseInt(f, 10, 64)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}
