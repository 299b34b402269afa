package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is one child process of the run, in its own process group, logging
// to a file under the run directory.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	log  string
	// pprof is the process's profiling address, if it serves one.
	pprof string
}

// start runs bin/<binary> with env added to a clean environment.
func (r *run) start(name, binary string, env []string, args ...string) (*proc, error) {
	logPath := filepath.Join(r.dir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(r.bin, binary), args...)
	cmd.Env = childEnv(env)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{}), log: logPath}
	go func() {
		_ = cmd.Wait()
		_ = f.Close()
		close(p.done)
	}()
	r.procs = append(r.procs, p)
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL to the process group and waits for the process.
func (p *proc) kill() {
	if p.running() {
		_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
		<-p.done
	}
}

// term sends SIGTERM and returns how long the process took to exit (it is
// killed after within).
func (p *proc) term(within time.Duration) time.Duration {
	start := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(within):
		p.kill()
	}
	return time.Since(start)
}

// logContains reports whether the process log has s.
func (p *proc) logContains(s string) bool {
	raw, err := os.ReadFile(p.log)
	return err == nil && strings.Contains(string(raw), s)
}

// freePort returns a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// rssKiB is the resident set of pid from /proc/<pid>/status.
func rssKiB(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// cpuTicks is the user+system CPU time of pid in clock ticks (1/100 s).
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

// raiseNoFile lifts the open-file limit to 2^20 where it may (root), else
// the soft limit to the hard one (children inherit it): every session is a
// socket on both sides.
func raiseNoFile() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	// One descriptor per simulated connection: 30,000 sessions need more
	// than a shell's usual hard limit, which root may raise.
	if want := uint64(1 << 20); lim.Max < want {
		up := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &up) == nil {
			return
		}
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

// noFileRoom is how many descriptors a process needs beside one per
// session (listeners, control requests, logs, NATS, the database).
const noFileRoom = 1000

// checkNoFile refuses a run a process could not hold (it would stop
// accepting and the run would hang) and, unless SCALE_SIMS says, picks how
// many simulators share the devices: every device holds a socket in one
// simulator, while the gateway's sockets split over its workers (a killed
// worker's share goes to the others).
func checkNoFile(cfg config) (config, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		if cfg.sims == 0 {
			cfg.sims = 1
		}
		return cfg, nil
	}
	room := int(lim.Cur) - noFileRoom
	if room < 1 {
		return cfg, fmt.Errorf("ulimit -n %d leaves no room for sessions", lim.Cur)
	}
	if cfg.sims == 0 {
		// A device's simulator is a hash of its key: leave 10 % for skew.
		cfg.sims = (cfg.n*11/10 + room - 1) / room
	}
	perWorker := cfg.n
	if cfg.workers > 1 {
		perWorker = (cfg.n + cfg.workers - 2) / (cfg.workers - 1)
	}
	perSim := cfg.n / cfg.sims * 11 / 10
	if need := max(perWorker, perSim) + noFileRoom; need > int(lim.Cur) {
		return cfg, fmt.Errorf("SCALE_N=%d with %d workers and %d simulators needs %d open files per process; this machine allows %d (ulimit -n)",
			cfg.n, cfg.workers, cfg.sims, need, lim.Cur)
	}
	return cfg, nil
}

// boxTicks is the machine's busy and total CPU time in clock ticks, from
// /proc/stat (busy: all but idle and iowait).
func boxTicks() (busy, total int64) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:min(len(f), 9)] { // guest time is in user already
		n, _ := strconv.ParseInt(v, 10, 64)
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total
}

// loadAvg is the machine's 1, 5 and 15 minute load average: the figures
// are only as good as the CPU the gateway got.
func loadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
