package wasim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types/events"
	waLog "go.mau.fi/whatsmeow/util/log"
	"go.uber.org/zap"
	_ "modernc.org/sqlite" // registers the "sqlite" driver for sqlstore

	"github.com/switchboard-gw/switchboard/shared/waclient"
	"github.com/switchboard-gw/switchboard/shared/wasim"
)

// testRootKey is shared by every simulator in this process because
// whatsmeow.WACertPubKey is process-global (see waclient.PointAtSimulator).
var testRootKey = bytes.Repeat([]byte{0x42}, 32)

// waitTimeout bounds every wait for a client event.
const waitTimeout = 15 * time.Second

func TestMain(m *testing.M) {
	if os.Getenv(benchChildEnv) != "" {
		os.Exit(runBenchChild())
	}
	// Globals of the client library: written once, before any client exists.
	whatsmeow.KeepAliveIntervalMin = 1 * time.Second
	whatsmeow.KeepAliveIntervalMax = 1500 * time.Millisecond
	whatsmeow.KeepAliveResponseDeadline = 2 * time.Second
	os.Exit(m.Run())
}

// env is one simulator plus a whatsmeow store pointed at it.
type env struct {
	t      testing.TB
	sim    *wasim.Server
	target *waclient.Target
	store  *sqlstore.Container
	phones atomic.Int64
	log    waLog.Logger // client logger; nil means clientLog()
}

func clientLog() waLog.Logger {
	if os.Getenv("WASIM_TEST_DEBUG") != "" {
		return waLog.Stdout("client", "DEBUG", false)
	}
	return waLog.Noop
}

func simLogger() *zap.Logger {
	if os.Getenv("WASIM_TEST_DEBUG") != "" {
		l, _ := zap.NewDevelopment()
		return l
	}
	return zap.NewNop()
}

// newEnv starts a simulator on free ports with short timings.
func newEnv(t testing.TB, mutate ...func(*wasim.Config)) *env {
	t.Helper()
	cfg := wasim.Config{
		WSAddr:            "127.0.0.1:0",
		ControlAddr:       "127.0.0.1:0",
		QRRefs:            2,
		CloseDelay:        100 * time.Millisecond,
		RestartCloseDelay: 2 * time.Second,
		RootPrivateKey:    testRootKey,
		Logger:            simLogger(),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	sim, err := wasim.New(cfg)
	if err != nil {
		t.Fatalf("new simulator: %v", err)
	}
	ctx := context.Background()
	if err := sim.Start(ctx); err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := sim.Stop(stopCtx); err != nil {
			t.Errorf("stop simulator: %v", err)
		}
	})
	target, err := waclient.PointAtSimulator(ctx, sim.ControlAddr())
	if err != nil {
		t.Fatalf("point at simulator: %v", err)
	}
	dsn := "file:" + filepath.Join(t.TempDir(), "wa.db") +
		"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)"
	container, err := sqlstore.New(ctx, "sqlite", dsn, waLog.Noop)
	if err != nil {
		t.Fatalf("sqlstore: %v", err)
	}
	t.Cleanup(func() { _ = container.Close() })
	return &env{t: t, sim: sim, target: target, store: container}
}

// phone returns a fresh international number for this env.
func (e *env) phone() string {
	return fmt.Sprintf("+1555%07d", 1000000+e.phones.Add(1))
}

// client builds a whatsmeow client for dev, redirected to the simulator,
// with an event recorder.
func (e *env) client(dev *store.Device) (*whatsmeow.Client, *recorder) {
	log := e.log
	if log == nil {
		log = clientLog()
	}
	cli := whatsmeow.NewClient(dev, log)
	e.target.Apply(cli)
	rec := &recorder{notify: make(chan struct{}, 1)}
	cli.AddEventHandler(rec.add)
	e.t.Cleanup(cli.Disconnect)
	return cli, rec
}

// pairQR links a new device through the QR flow and waits for Connected.
func (e *env) pairQR(phone string) (*whatsmeow.Client, *recorder, wasim.PairResult) {
	e.t.Helper()
	cli, rec := e.client(e.store.NewDevice())
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	qr, err := cli.GetQRChannel(ctx)
	if err != nil {
		e.t.Fatalf("qr channel: %v", err)
	}
	if err := cli.Connect(); err != nil {
		e.t.Fatalf("connect: %v", err)
	}
	code := nextQRCode(e.t, qr)
	res, err := e.sim.ScanQR(ctx, code, phone, "Tester")
	if err != nil {
		e.t.Fatalf("scan qr: %v", err)
	}
	waitEvent[*events.PairSuccess](e.t, rec)
	waitEvent[*events.Connected](e.t, rec)
	// The phone's app-state key share arrives as a message from ourselves;
	// consume it so tests waiting for messages see only theirs.
	waitMatch(e.t, rec, func(m *events.Message) bool {
		return m.Info.IsFromMe && m.Message.GetProtocolMessage().GetAppStateSyncKeyShare() != nil
	})
	return cli, rec, res
}

func nextQRCode(t testing.TB, qr <-chan whatsmeow.QRChannelItem) string {
	t.Helper()
	select {
	case item := <-qr:
		if item.Event != whatsmeow.QRChannelEventCode {
			t.Fatalf("qr channel event %q, want code", item.Event)
		}
		return item.Code
	case <-time.After(waitTimeout):
		t.Fatalf("no qr code within %s", waitTimeout)
	}
	return ""
}

// recorder keeps every event of a client. A wait consumes the oldest
// unconsumed event that matches, so events of one type are seen in order
// while different types may interleave (whatsmeow dispatches PairSuccess
// from a goroutine, so it can come after the following Connected).
type recorder struct {
	mu       sync.Mutex
	events   []any
	consumed []bool
	notify   chan struct{}
}

func (r *recorder) add(evt any) {
	r.mu.Lock()
	r.events = append(r.events, evt)
	r.consumed = append(r.consumed, false)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// next consumes and returns the oldest unconsumed event that matches.
func (r *recorder) next(match func(any) bool) (any, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, evt := range r.events {
		if !r.consumed[i] && match(evt) {
			r.consumed[i] = true
			return evt, true
		}
	}
	return nil, false
}

// count returns how many recorded events match.
func (r *recorder) count(match func(any) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if match(e) {
			n++
		}
	}
	return n
}

func isType[T any](evt any) bool {
	_, ok := evt.(T)
	return ok
}

// waitEvent waits for the next event of type T.
func waitEvent[T any](t testing.TB, r *recorder) T {
	t.Helper()
	return waitMatch(t, r, func(e T) bool { return true })
}

// waitMatch waits for the next event of type T that satisfies ok.
func waitMatch[T any](t testing.TB, r *recorder, ok func(T) bool) T {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	match := func(evt any) bool {
		e, is := evt.(T)
		return is && ok(e)
	}
	for {
		if evt, found := r.next(match); found {
			return evt.(T)
		}
		select {
		case <-r.notify:
		case <-deadline.C:
			var zero T
			r.mu.Lock()
			seen := make([]string, 0, len(r.events))
			for _, e := range r.events {
				seen = append(seen, reflect.TypeOf(e).String())
			}
			r.mu.Unlock()
			t.Fatalf("no %T within %s; events so far: %v", zero, waitTimeout, seen)
			return zero
		}
	}
}

// eventually polls cond until it holds; for state that changes without an
// event to wait for (counters after a close, rows deleted by the client).
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("%s: not within %s", what, waitTimeout)
		}
	}
}

// waitStats waits until the simulator's counters satisfy ok.
func waitStats(t testing.TB, sim *wasim.Server, ok func(wasim.Stats) bool) wasim.Stats {
	t.Helper()
	var st wasim.Stats
	eventually(t, "stats condition", func() bool {
		st = sim.Stats()
		return ok(st)
	})
	return st
}

// control calls the simulator's HTTP control API.
func control(t testing.TB, sim *wasim.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+sim.ControlAddr()+path, bytes.NewBufferString(body))
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, out
}

// Event type aliases keep table-driven waits short.
type (
	connectedEvent = *events.Connected
	loggedOutEvent = *events.LoggedOut
)

func statsLoggedIn(n int64) func(wasim.Stats) bool {
	return func(s wasim.Stats) bool { return s.LoggedIn == n }
}
