package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// profileRestart takes, when SCALE_PROFILE asks for it, a CPU profile of
// the gateway (about to start) and of the simulator from now on (restart round), into the
// run directory as gateway-<round>.pprof and wasim-<round>.pprof. The
// returned channel is closed when both are written (at once without
// SCALE_PROFILE).
func (r *run) profileRestart(ctx context.Context, round int) <-chan struct{} {
	done := make(chan struct{})
	if r.cfg.profile <= 0 {
		close(done)
		return done
	}
	targets := map[string]string{"gateway": os.Getenv("SWITCHBOARD_PPROF_ADDR"), "wasim": os.Getenv("WASIM_PPROF_ADDR")}
	finished := make(chan struct{}, len(targets))
	for name, addr := range targets {
		go func() {
			defer func() { finished <- struct{}{} }()
			if addr == "" {
				return
			}
			path := filepath.Join(r.dir, fmt.Sprintf("%s-%d.pprof", name, round))
			if err := fetchProfile(ctx, addr, r.cfg.profile, path); err != nil {
				fmt.Fprintf(os.Stderr, "switchboard-loadgen: %s profile: %v\n", name, err)
			}
		}()
	}
	go func() {
		for range targets {
			<-finished
		}
		close(done)
	}()
	return done
}

// profileProcs takes, when SCALE_PROFILE asks for it, a CPU profile of
// every running process in ps that serves one, from now on, into the run
// directory as <name>-<label>.pprof. The returned channel is closed when
// all are written.
func (r *run) profileProcs(ctx context.Context, label string, ps []*proc) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, p := range ps {
		if r.cfg.profile <= 0 || p.pprof == "" || !p.running() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := filepath.Join(r.dir, fmt.Sprintf("%s-%s.pprof", p.name, label))
			if err := fetchProfile(ctx, p.pprof, r.cfg.profile, path); err != nil {
				fmt.Fprintf(os.Stderr, "switchboard-loadgen: %s profile: %v\n", p.name, err)
			}
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}

func fetchProfile(ctx context.Context, addr string, d time.Duration, path string) error {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(d.Seconds()))
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	// The process is starting: its pprof listener comes up within moments.
	hc := &http.Client{Timeout: d + 30*time.Second}
	var resp *http.Response
	for tries := 0; ; tries++ {
		if resp, err = hc.Do(req); err == nil || tries == 200 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
