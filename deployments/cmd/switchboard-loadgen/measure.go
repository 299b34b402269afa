package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

// sum adds up f over the running processes of ps.
func sum(ps []*proc, f func(pid int) int64) int64 {
	var n int64
	for _, p := range ps {
		if p.running() {
			n += f(p.pid())
		}
	}
	return n
}

// gatewayRSS is the summed resident set (KiB) of the Switchboard processes.
func (r *run) gatewayRSS() int64 { return sum(r.gateway, rssKiB) }

// gatewayCPU is the summed CPU time (ticks) of the Switchboard processes.
func (r *run) gatewayCPU() int64 { return sum(r.gateway, cpuTicks) }

// simCPU is the summed CPU time (ticks) of the simulators.
func (r *run) simCPU() int64 { return sum(r.sims, cpuTicks) }

func mib(kib int64) float64 { return float64(kib) / 1024 }

// measure runs every phase and prints what it measured.
func (r *run) measure(ctx context.Context) error {
	mode := "standalone (bin/switchboard)"
	if r.cfg.workers > 1 {
		mode = fmt.Sprintf("cluster: bin/nats-server, switchboard-api, %d × switchboard-worker, Postgres", r.cfg.workers)
	}
	fmt.Printf("bench-scale: N=%d sessions, C=%d clients, %s, %d × bin/wasim (separate)\n", r.cfg.n, r.cfg.conc, mode, r.cfg.sims)
	up, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := r.startSimulators(up); err != nil {
		return err
	}
	if r.cfg.workers > 1 {
		if err := r.startCluster(up); err != nil {
			return err
		}
	} else if err := r.startStandalone(up); err != nil {
		return err
	}
	if err := sleep(ctx, 3*time.Second); err != nil {
		return err
	}
	idle0 := r.gatewayRSS()
	if r.cfg.reuse {
		fmt.Printf("%-44s %10.1f MiB  (SCALE_REUSE: kept sessions reconnecting)\n", "RSS 3 s after start", mib(idle0))
	} else {
		fmt.Printf("%-44s %10.1f MiB\n", "idle RSS, 0 sessions", mib(idle0))
	}

	c := newClient([]string{"http://" + r.apiAddr}, r.simCtls, adminKey, r.cfg.conc)
	if r.cfg.reuse {
		// No 0-session baseline: the kept sessions were reconnecting.
		return r.measureReused(ctx, c, noBaseline)
	}
	linkCPU0, linkSim0, self0 := r.gatewayCPU(), r.simCPU(), cpuTicks(os.Getpid())
	res := c.linkAll(ctx, "load", r.cfg.n, r.cfg.conc)
	linked := len(res.lat)
	fmt.Printf("%-44s %10.1f /s  (%d linked, %d failed, %.1f s)\n", "links through the api",
		float64(linked)/res.took.Seconds(), linked, res.failed, res.took.Seconds())
	fmt.Printf("%-44s p50 %v  p99 %v  max %v\n", "link latency (create → logged_in)",
		pct(res.lat, 0.5).Round(time.Millisecond), pct(res.lat, 0.99).Round(time.Millisecond), pct(res.lat, 1).Round(time.Millisecond))
	if linked > 0 {
		// CPU per link compares builds even when the box's load differs.
		perLink := func(ticks int64) float64 { return float64(ticks) * 10 / float64(linked) }
		fmt.Printf("%-44s %10.2f ms  (simulator %.2f ms, load client %.2f ms)\n", "CPU per link, gateway",
			perLink(r.gatewayCPU()-linkCPU0), perLink(r.simCPU()-linkSim0), perLink(cpuTicks(os.Getpid())-self0))
	}
	fmt.Printf("%-44s %s\n", "load average after linking", loadAvg())
	if res.firstErr != nil {
		fmt.Printf("%-44s %v\n", "first link error", res.firstErr)
	}
	if linked == 0 {
		return fmt.Errorf("no session linked")
	}
	if err := sleep(ctx, 5*time.Second); err != nil {
		return err
	}
	linkedRSS := r.gatewayRSS()
	printPerSession("RSS per session, freshly linked", linkedRSS, idle0, linked, fmt.Sprintf("RSS %.1f MiB", mib(linkedRSS)))

	return r.idleAndRestart(ctx, c, linked, idle0, linkedRSS)
}

// measureReused waits until the simulator counts the kept run's SCALE_N
// sessions logged in again, then measures the idle window and the restart
// as after linking (the first RSS printed then includes the sessions).
func (r *run) measureReused(ctx context.Context, c *client, idle0 int64) error {
	if err := r.stopReconnecting(ctx, c); err != nil {
		return err
	}
	st, err := waitSim(ctx, c, 10*time.Minute, func(s simStats) bool { return s.LoggedIn >= int64(r.cfg.n) })
	if err != nil {
		return fmt.Errorf("reused run: %d of %d logged in again: %w", st.LoggedIn, r.cfg.n, err)
	}
	fmt.Printf("%-44s %10d  (SCALE_REUSE: linked by an earlier run)\n", "sessions logged in again", st.LoggedIn)
	if err := sleep(ctx, 5*time.Second); err != nil {
		return err
	}
	return r.idleAndRestart(ctx, c, r.cfg.n, idle0, r.gatewayRSS())
}

// idleAndRestart measures the idle window, then restarts the standalone or
// kills a worker of the cluster.
func (r *run) idleAndRestart(ctx context.Context, c *client, linked int, idle0, linkedRSS int64) error {
	cpu0, simCPU0 := r.gatewayCPU(), r.simCPU()
	if err := sleep(ctx, r.cfg.idle); err != nil {
		return err
	}
	cpu1, simCPU1 := r.gatewayCPU(), r.simCPU()
	idleRSS := r.gatewayRSS()
	fmt.Printf("%-44s %10.1f CPU-s  (simulator %.1f CPU-s)\n", fmt.Sprintf("idle CPU over %v, %d sessions", r.cfg.idle, linked),
		float64(cpu1-cpu0)/100, float64(simCPU1-simCPU0)/100)
	printPerSession("RSS per session after the idle window", idleRSS, idle0, linked,
		fmt.Sprintf("RSS %.1f → %.1f MiB", mib(linkedRSS), mib(idleRSS)))
	fmt.Printf("%-44s %s\n", "load average after the idle window", loadAvg())

	var err error
	if r.cfg.workers > 1 {
		err = r.killOne(ctx, c, linked, idle0)
	} else {
		for i := 1; i <= r.cfg.restarts && err == nil; i++ {
			err = r.restart(ctx, c, i, linked, idle0)
		}
	}
	fmt.Printf("%-44s %s\n", "load average at the end", loadAvg())
	return err
}

// noBaseline stands for an unknown 0-session RSS (SCALE_REUSE).
const noBaseline = -1

// printPerSession prints (rss-idle0)/n in KiB, or "-" without a baseline.
func printPerSession(label string, rss, idle0 int64, n int, note string) {
	if idle0 == noBaseline {
		fmt.Printf("%-44s %10s KiB  (%s; no 0-session baseline with SCALE_REUSE)\n", label, "-", note)
		return
	}
	fmt.Printf("%-44s %10.1f KiB  (%s)\n", label, float64(rss-idle0)/float64(n), note)
}
