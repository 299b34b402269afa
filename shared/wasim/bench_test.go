package wasim_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	waLog "go.mau.fi/whatsmeow/util/log"
	"google.golang.org/protobuf/proto"

	"github.com/switchboard-gw/switchboard/shared/waclient"
)

// Bench knobs (environment):
//
//	WASIM_BENCH_N       sessions to log in (default 2000; the target is 10000)
//	WASIM_BENCH_CONC    concurrent Connect calls (default 64)
//	WASIM_BENCH_IDLE_S  idle window for the keepalive CPU measurement (default 10)
//
// Keepalives run every 4-6 s during the bench instead of 20-30 s so that the
// idle window sees enough of them; CPU figures are scaled to the real 25 s
// average cadence.
const (
	benchKeepAliveMin  = 4 * time.Second
	benchKeepAliveMax  = 6 * time.Second
	realKeepAliveMean  = 25 * time.Second
	benchUploadedKeys  = 50
	benchClientPrekeys = 5
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchChild is the simulator running in a child process (benchchild_test.go).
type benchChild struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stdout  *bufio.Reader
	ws, ctl string
}

func startBenchChild(b *testing.B) *benchChild {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), benchChildEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	c := &benchChild{cmd: cmd, stdin: stdin, stdout: bufio.NewReaderSize(stdout, 64<<10)}
	b.Cleanup(func() {
		_ = c.stdin.Close()
		_ = c.cmd.Wait()
	})
	f := c.line(b)
	if len(f) != 3 || f[0] != "ready" {
		b.Fatalf("child said %v", f)
	}
	c.ws, c.ctl = f[1], f[2]
	return c
}

func (c *benchChild) line(b *testing.B) []string {
	b.Helper()
	s, err := c.stdout.ReadString('\n')
	if err != nil {
		b.Fatalf("child: %v", err)
	}
	return strings.Fields(s)
}

func (c *benchChild) call(b *testing.B, cmd string) []string {
	b.Helper()
	if _, err := io.WriteString(c.stdin, cmd+"\n"); err != nil {
		b.Fatalf("child: %v", err)
	}
	return c.line(b)
}

// memSample is live heap + stacks and CPU time of one process.
type memSample struct {
	bytes      uint64
	goroutines int
	cpu        time.Duration
	loggedIn   int64
}

func (c *benchChild) mem(b *testing.B) memSample {
	f := c.call(b, "mem")
	if len(f) != 7 || f[0] != "mem" {
		b.Fatalf("child mem: %v", f)
	}
	n := make([]int64, 6)
	for i := range n {
		n[i], _ = strconv.ParseInt(f[i+1], 10, 64)
	}
	return memSample{bytes: uint64(n[0] + n[1]), goroutines: int(n[2]), cpu: time.Duration(n[3]), loggedIn: n[4]}
}

func selfMem() memSample {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSample{bytes: ms.HeapAlloc + ms.StackInuse, goroutines: runtime.NumGoroutine(), cpu: time.Duration(cpuNanos())}
}

// prePair creates a device in the client store and registers it in the
// simulator as already paired, with prekeys already uploaded, so the login
// is a plain re-login (no pairing, no prekey upload). This stands for a
// gateway restarting with existing sessions; pairing itself is covered by
// the end-to-end tests.
func prePair(b *testing.B, ctx context.Context, child *benchChild, container *sqlstore.Container, phone string, extra ...string) (*store.Device, store.LIDMapping) {
	dev := container.NewDevice()
	f := child.call(b, strings.TrimSpace(fmt.Sprintf("register %s %x %x %d %d %x %x %d %s", phone,
		dev.NoiseKey.Pub[:], dev.IdentityKey.Pub[:], dev.RegistrationID, dev.SignedPreKey.KeyID,
		dev.SignedPreKey.Pub[:], dev.SignedPreKey.Signature[:], benchUploadedKeys, strings.Join(extra, " "))))
	if len(f) != 5 || f[0] != "ok" {
		b.Fatalf("register: %v", f)
	}
	jid, err1 := types.ParseJID(f[1])
	lid, err2 := types.ParseJID(f[2])
	raw, err3 := base64.StdEncoding.DecodeString(f[3])
	accountPub, err4 := hex.DecodeString(f[4])
	var account waAdv.ADVSignedDeviceIdentity
	if err := proto.Unmarshal(raw, &account); err != nil || err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		b.Fatalf("register reply %v", f)
	}
	sig := ecc.CalculateSignature(ecc.NewDjbECPrivateKey(*dev.IdentityKey.Priv),
		concatBytes([]byte{6, 1}, account.Details, dev.IdentityKey.Pub[:], accountPub))
	account.DeviceSignature = sig[:]
	dev.ID, dev.LID, dev.Account, dev.Platform = &jid, lid, &account, "android"
	if err := dev.Save(ctx); err != nil {
		b.Fatalf("save device: %v", err)
	}
	keys, err := dev.PreKeys.GetOrGenPreKeys(ctx, benchClientPrekeys)
	if err != nil {
		b.Fatalf("prekeys: %v", err)
	}
	if err := dev.PreKeys.MarkPreKeysAsUploaded(ctx, keys[len(keys)-1].KeyID); err != nil {
		b.Fatalf("mark prekeys: %v", err)
	}
	return dev, store.LIDMapping{LID: lid.ToNonAD(), PN: jid.ToNonAD()}
}

func concatBytes(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// BenchmarkLogins logs in WASIM_BENCH_N pre-paired sessions from this
// process against the simulator in a child process, then measures memory
// per idle session on both sides and keepalive CPU. Run it alone:
//
//	go test ./wasim/ -run '^$' -bench BenchmarkLogins -benchtime 1x
//	WASIM_BENCH_N=10000 go test ./wasim/ -run '^$' -bench BenchmarkLogins -benchtime 1x -timeout 30m
func BenchmarkLogins(b *testing.B) {
	n := envInt("WASIM_BENCH_N", 2000)
	conc := envInt("WASIM_BENCH_CONC", 64)
	idle := time.Duration(envInt("WASIM_BENCH_IDLE_S", 10)) * time.Second
	raiseNoFile()
	// Client globals, written before any bench client exists.
	whatsmeow.KeepAliveIntervalMin = benchKeepAliveMin
	whatsmeow.KeepAliveIntervalMax = benchKeepAliveMax
	whatsmeow.KeepAliveResponseDeadline = 10 * time.Second
	ctx := context.Background()

	child := startBenchChild(b)
	target, err := waclient.PointAtSimulator(ctx, child.ctl)
	if err != nil {
		b.Fatal(err)
	}
	dsn := "file:" + filepath.Join(b.TempDir(), "bench.db") +
		"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
	container, err := sqlstore.New(ctx, "sqlite", dsn, waLog.Noop)
	if err != nil {
		b.Fatal(err)
	}
	defer container.Close()

	setupStart := time.Now()
	devices := make([]*store.Device, n)
	mappings := make([]store.LIDMapping, n)
	for i := range devices {
		devices[i], mappings[i] = prePair(b, ctx, child, container, fmt.Sprintf("+1666%07d", i+1))
	}
	if err := container.LIDMap.PutManyLIDMappings(ctx, mappings); err != nil {
		b.Fatal(err)
	}
	setup := time.Since(setupStart)

	for i := 0; i < b.N; i++ {
		runLoginBench(b, child, target, devices, conc, idle, setup)
	}
}

func runLoginBench(b *testing.B, child *benchChild, target *waclient.Target, devices []*store.Device, conc int, idle, setup time.Duration) {
	n := len(devices)
	simBefore := child.mem(b)
	cliBefore := selfMem()

	var connected, timeouts, disconnects atomic.Int64
	allConnected := make(chan struct{})
	clients := make([]*whatsmeow.Client, n)
	for i, dev := range devices {
		cli := whatsmeow.NewClient(dev, waLog.Noop)
		target.Apply(cli)
		seen := false
		cli.AddEventHandler(func(evt any) {
			switch evt.(type) {
			case *events.Connected:
				if !seen {
					seen = true
					if connected.Add(1) == int64(n) {
						close(allConnected)
					}
				}
			case *events.KeepAliveTimeout:
				timeouts.Add(1)
			case *events.Disconnected, *events.LoggedOut, *events.StreamReplaced:
				disconnects.Add(1)
			}
		})
		clients[i] = cli
	}
	defer disconnectAll(clients)

	b.ResetTimer()
	start := time.Now()
	jobs := make(chan *whatsmeow.Client)
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Go(func() {
			for cli := range jobs {
				if err := cli.Connect(); err != nil {
					b.Errorf("connect: %v", err)
				}
			}
		})
	}
	for _, cli := range clients {
		jobs <- cli
	}
	close(jobs)
	wg.Wait()
	select {
	case <-allConnected:
	case <-time.After(10 * time.Minute):
		b.Fatalf("only %d of %d sessions connected", connected.Load(), n)
	}
	loginTime := time.Since(start)
	b.StopTimer()

	// Idle window: only keepalives run now.
	simIdle0, cliIdle0 := child.mem(b), selfMem()
	<-time.After(idle)
	simIdle1, cliIdle1 := child.mem(b), selfMem()
	if simIdle1.loggedIn != int64(n) {
		b.Errorf("simulator has %d logged-in sessions, want %d", simIdle1.loggedIn, n)
	}

	perSession := func(after, before memSample) float64 {
		return float64(int64(after.bytes)-int64(before.bytes)) / float64(n) / 1024
	}
	// CPU seconds per 1000 sessions per minute at the real 25 s cadence.
	scale := float64(benchKeepAliveMin+benchKeepAliveMax) / 2 / float64(realKeepAliveMean)
	cpuPerKMin := func(d time.Duration) float64 {
		return d.Seconds() / (float64(n) / 1000) * (float64(time.Minute) / float64(idle)) * scale
	}
	simKiB := perSession(simIdle1, simBefore)
	cliKiB := perSession(cliIdle1, cliBefore)
	loginsPerSec := float64(n) / loginTime.Seconds()
	simCPU := cpuPerKMin(simIdle1.cpu - simIdle0.cpu)
	cliCPU := cpuPerKMin(cliIdle1.cpu - cliIdle0.cpu)
	simGor := float64(simIdle1.goroutines-simBefore.goroutines) / float64(n)
	cliGor := float64(cliIdle1.goroutines-cliBefore.goroutines) / float64(n)

	b.ReportMetric(float64(n), "sessions")
	b.ReportMetric(loginsPerSec, "logins/s")
	b.ReportMetric(simKiB, "sim-KiB/conn")
	b.ReportMetric(cliKiB, "client-KiB/session")
	b.ReportMetric(simCPU, "sim-keepalive-cpu-s/1k-sess/min")
	b.ReportMetric(cliCPU, "client-keepalive-cpu-s/1k-sess/min")
	b.ReportMetric(float64(timeouts.Load()), "keepalive-timeouts")
	line := fmt.Sprintf("sessions=%d setup=%.1fs logins/s=%.0f sim=%.1fKiB/conn (%.1f goroutines) client=%.1fKiB/session (%.1f goroutines) "+
		"keepalive-cpu(s per 1k sessions per min @25s): sim=%.3f client=%.3f keepalive-timeouts=%d disconnects=%d",
		n, setup.Seconds(), loginsPerSec, simKiB, simGor, cliKiB, cliGor, simCPU, cliCPU, timeouts.Load(), disconnects.Load())
	b.Log(line)
	fmt.Println("BENCH", line)
}

func disconnectAll(clients []*whatsmeow.Client) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, cli := range clients {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			cli.Disconnect()
		})
	}
	wg.Wait()
}
