package main

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// claims follows the api and the simulator while sessions log in again and
// records whether the api ever listed more sessions logged_in than the
// simulator counted (read after the api, so the simulator's count can only
// be higher). It samples every claimEvery: each sample lists every session
// (a tenth of the gateway's CPU during a restart of 2,000 at the 50 ms it
// used to be), and an early claim lasts as long as the re-login does.
type claims struct {
	early   atomic.Int64 // largest excess seen
	samples atomic.Int64
}

func (cl *claims) watch(ctx context.Context, c *client) {
	for ctx.Err() == nil {
		api, err := c.loggedInByAPI(ctx)
		if err == nil {
			if st, err := c.stats(ctx); err == nil {
				cl.samples.Add(1)
				if d := int64(api) - st.LoggedIn; d > cl.early.Load() {
					cl.early.Store(d)
				}
			}
		}
		_ = sleep(ctx, claimEvery)
	}
}

const claimEvery = 250 * time.Millisecond

// waitSim waits until the simulator's count satisfies ok.
func waitSim(ctx context.Context, c *client, within time.Duration, ok func(simStats) bool) (simStats, error) {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	for {
		st, err := c.stats(ctx)
		if err == nil && ok(st) {
			return st, nil
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return st, err
		}
	}
}

// restart stops the standalone with SIGTERM and starts it again: how long
// the stop took and whether it released its leases cleanly, how long until
// the simulator counts every session logged in again, and whether the api
// claimed any of them logged in before that.
func (r *run) restart(ctx context.Context, c *client, round, linked int, idle0 int64) error {
	if r.cfg.restarts > 1 {
		fmt.Printf("restart %d of %d (load average %s)\n", round, r.cfg.restarts, loadAvg())
	}
	base, err := c.stats(ctx)
	if err != nil {
		return err
	}
	gw := r.gateway[0]
	took := gw.term(time.Minute)
	clean := !gw.logContains("lease release failed")
	fmt.Printf("%-44s %10.2f s  (leases released cleanly: %v)\n", "SIGTERM → exit, all sessions connected", took.Seconds(), clean)
	if _, err := waitSim(ctx, c, time.Minute, func(s simStats) bool { return s.LoggedIn == 0 }); err != nil {
		return fmt.Errorf("sessions still logged in after the stop: %w", err)
	}

	started, simCPU0 := time.Now(), r.simCPU()
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	var cl claims
	go cl.watch(wctx, c)
	profiled := r.profileRestart(wctx, round)
	if err := r.startStandalone(ctx); err != nil {
		return err
	}
	apiUp := time.Since(started)
	st, err := waitSim(ctx, c, 10*time.Minute, func(s simStats) bool { return s.LoggedIn >= int64(linked) })
	if err != nil {
		return fmt.Errorf("re-login: %d of %d back: %w", st.LoggedIn, linked, err)
	}
	back := time.Since(started)
	// The gateway is a new process: all its CPU time is the restart's.
	gwCPU, simCPU := r.gatewayCPU(), r.simCPU()-simCPU0
	// Until the api lists all of them too.
	for {
		n, err := c.loggedInByAPI(ctx)
		if err == nil && n >= linked {
			break
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	apiBack := time.Since(started)
	fmt.Printf("%-44s %10.2f s  (api up after %.2f s; api lists all after %.2f s)\n",
		fmt.Sprintf("restart → all %d logged in (simulator)", linked), back.Seconds(), apiUp.Seconds(), apiBack.Seconds())
	fmt.Printf("%-44s %10.1f CPU-s  (simulator %.1f CPU-s; load average %s)\n", "gateway CPU, start → all logged in",
		float64(gwCPU)/100, float64(simCPU)/100, loadAvg())
	<-profiled
	stopWatch()
	fmt.Printf("%-44s %10v  (largest excess %d over %d samples)\n", "api claimed logged_in before the simulator",
		cl.early.Load() > 0, cl.early.Load(), cl.samples.Load())
	fmt.Printf("%-44s %10d  (pairings %d)\n", "replaced during the restart", st.Replaced-base.Replaced, st.Pairings-base.Pairings)
	if err := sleep(ctx, 5*time.Second); err != nil {
		return err
	}
	rss := r.gatewayRSS()
	printPerSession("RSS per session after re-login", rss, idle0, linked, fmt.Sprintf("RSS %.1f MiB", mib(rss)))
	return nil
}

// killOne kill -9s the first worker and measures how long until the
// simulator counts every session logged in again, and whether any
// connection was replaced.
func (r *run) killOne(ctx context.Context, c *client, linked int, _ int64) error {
	base, err := c.stats(ctx)
	if err != nil {
		return err
	}
	victim := r.workers[0]
	// The victim's own CPU leaves the sum with it.
	cpu0, sim0 := r.gatewayCPU()-cpuTicks(victim.pid()), r.simCPU()
	each0 := map[*proc]int64{}
	for _, p := range append(r.gateway, r.sims...) {
		each0[p] = cpuTicks(p.pid())
	}
	busy0, total0 := boxTicks()
	killed := time.Now()
	victim.kill()
	profiled := r.profileProcs(ctx, "kill", r.gateway)
	sctx, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	busyBySecond := sampleBusy(sctx)
	st, err := waitSim(ctx, c, time.Minute, func(s simStats) bool { return s.LoggedIn < base.LoggedIn })
	if err != nil {
		return fmt.Errorf("kill -9 %s: nothing disconnected: %w", victim.name, err)
	}
	// Milestones of the victim's sessions coming back: when the first is
	// back (the takeover began), then half, 90 %, 99 % and all of them.
	low, marks := st.LoggedIn, map[int]time.Duration{}
	st, err = waitSim(ctx, c, 5*time.Minute, func(s simStats) bool {
		low = min(low, s.LoggedIn)
		if lost := int64(linked) - low; lost > 0 {
			back := s.LoggedIn - low
			for _, pct := range []int{1, 50, 90, 99} {
				if _, ok := marks[pct]; !ok && back*100 >= lost*int64(pct) {
					marks[pct] = time.Since(killed)
				}
			}
		}
		return s.LoggedIn >= int64(linked)
	})
	if err != nil {
		return fmt.Errorf("after kill -9: %d of %d back: %w", st.LoggedIn, linked, err)
	}
	back := time.Since(killed)
	gw, sim := r.gatewayCPU()-cpu0, r.simCPU()-sim0
	fmt.Printf("%-44s %10.2f s  (lease TTL 10 s included; target ≤ 30 s)\n",
		fmt.Sprintf("kill -9 %s → all %d logged in", victim.name, linked), back.Seconds())
	fmt.Printf("%-44s first %.1f s, half %.1f s, 90%% %.1f s, 99%% %.1f s  (%d were down)\n", "its sessions back after the kill",
		marks[1].Seconds(), marks[50].Seconds(), marks[90].Seconds(), marks[99].Seconds(), int64(linked)-low)
	fmt.Printf("%-44s %10.1f CPU-s  (simulator %.1f CPU-s; load average %s)\n", "gateway CPU, kill → all logged in",
		float64(gw)/100, float64(sim)/100, loadAvg())
	busy, total := boxTicks()
	stopSampling()
	fmt.Printf("%-44s %s\n", "machine busy % by second after the kill", <-busyBySecond)
	fmt.Printf("%-44s %s; machine busy %.0f %%\n", "CPU-s by process, kill → all logged in",
		cpuByProc(append(r.gateway, r.sims...), each0), 100*float64(busy-busy0)/float64(max(total-total0, 1)))
	fmt.Printf("%-44s %10d  (pairings %d)\n", "replaced after the kill", st.Replaced-base.Replaced, st.Pairings-base.Pairings)
	<-profiled
	return nil
}

// sampleBusy samples how busy the machine is each second until ctx ends,
// then sends the series.
func sampleBusy(ctx context.Context) <-chan string {
	out := make(chan string, 1)
	go func() {
		var series []string
		t := time.NewTicker(time.Second)
		defer t.Stop()
		b0, t0 := boxTicks()
		for {
			select {
			case <-ctx.Done():
				out <- strings.Join(series, " ")
				return
			case <-t.C:
			}
			b, tt := boxTicks()
			series = append(series, fmt.Sprintf("%.0f", 100*float64(b-b0)/float64(max(tt-t0, 1))))
			b0, t0 = b, tt
		}
	}()
	return out
}

// cpuByProc lists the CPU time each running process in ps used since
// before (CPU-s).
func cpuByProc(ps []*proc, before map[*proc]int64) string {
	var out []string
	for _, p := range ps {
		if p.running() {
			out = append(out, fmt.Sprintf("%s %.1f", p.name, float64(cpuTicks(p.pid())-before[p])/100))
		}
	}
	return strings.Join(out, ", ")
}

// stopReconnecting stops the standalone with SIGTERM while a quarter of the
// kept sessions are logged in again and the rest are still reconnecting,
// and starts it again: how long that stop took and whether it released its
// leases cleanly.
func (r *run) stopReconnecting(ctx context.Context, c *client) error {
	quarter := int64(r.cfg.n / 4)
	st, err := waitSim(ctx, c, 5*time.Minute, func(s simStats) bool { return s.LoggedIn >= quarter })
	if err != nil {
		return fmt.Errorf("reused run: %d of %d logged in again: %w", st.LoggedIn, r.cfg.n, err)
	}
	gw := r.gateway[0]
	took := gw.term(time.Minute)
	clean := !gw.logContains("lease release failed")
	after, _ := c.stats(ctx)
	fmt.Printf("%-44s %10.2f s  (leases released cleanly: %v; %d logged in at the signal)\n",
		"SIGTERM → exit, sessions reconnecting", took.Seconds(), clean, st.LoggedIn)
	if _, err := waitSim(ctx, c, time.Minute, func(s simStats) bool { return s.LoggedIn == 0 }); err != nil {
		return fmt.Errorf("sessions still logged in after the stop (%d at exit): %w", after.LoggedIn, err)
	}
	return r.startStandalone(ctx)
}
