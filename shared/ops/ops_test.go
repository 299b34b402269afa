package ops_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/natsembed"
	"github.com/switchboard-gw/switchboard/shared/ops"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// get fetches http://addr+path and returns the status and body.
func get(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s body: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// waitReady polls /readyz until its status is want, and returns the report.
func waitReady(t *testing.T, addr string, want int) ops.Report {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		code, body := get(t, addr, ops.PathReady)
		if code == want {
			var rep ops.Report
			if err := json.Unmarshal([]byte(body), &rep); err != nil {
				t.Fatalf("readyz body %q: %v", body, err)
			}
			return rep
		}
		last = body
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("readyz never answered %d; last body %s", want, last)
	return ops.Report{}
}

// TestReadyzFollowsNATS stops the NATS server under a running process and
// starts it again on the same port: /readyz answers 503 naming the nats,
// streams and buckets checks while it is down and 200 once it is back;
// /livez answers 200 throughout.
func TestReadyzFollowsNATS(t *testing.T) {
	dir := t.TempDir()
	ns, err := natsembed.Start(natsembed.Config{StoreDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	clientURL := ns.ClientURL()
	defer func() { ns.Shutdown() }()
	nc, err := bus.Connect(clientURL, "ops-test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := bus.Attach(ctx, nc, bus.Config{Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	b := conn.Buckets
	probe := ops.NewProbe(
		ops.NATSCheck(nc),
		ops.StreamsCheck(conn.JS, subject.CommandStream, subject.EventStream),
		ops.BucketsCheck(conn.JS, b.Sessions, b.Pairing, b.Leases, b.Workers, b.Sched),
	)
	srv, err := ops.NewServer(ops.ServerConfig{Addr: "127.0.0.1:0", Gatherer: ops.NewRegistry(), Probe: probe}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Stop(context.Background()) }()
	addr := srv.Addr()

	rep := waitReady(t, addr, http.StatusOK)
	for _, name := range []string{ops.CheckNATS, ops.CheckStreams, ops.CheckBuckets} {
		if rep.Checks[name] != "ok" {
			t.Fatalf("check %s = %q before the outage; report %+v", name, rep.Checks[name], rep)
		}
	}
	if code, body := get(t, addr, ops.PathHealth); code != http.StatusOK || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("healthz = %d %s", code, body)
	}

	ns.Shutdown()
	// The streams and buckets checks can fail (503) before the client has
	// noticed the disconnect: wait for the report in which it has.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		rep = waitReady(t, addr, http.StatusServiceUnavailable)
		if rep.Checks[ops.CheckNATS] != "ok" || time.Now().After(deadline) {
			break
		}
	}
	if rep.OK || len(rep.Failed) == 0 || rep.Failed[0] == "" {
		t.Fatalf("report while NATS is down: %+v", rep)
	}
	if !strings.Contains(rep.Checks[ops.CheckNATS], "nats connection is") {
		t.Fatalf("nats check while down = %q", rep.Checks[ops.CheckNATS])
	}
	for _, name := range []string{ops.CheckNATS, ops.CheckStreams, ops.CheckBuckets} {
		if !contains(rep.Failed, name) {
			t.Fatalf("failed = %v, want %s in it", rep.Failed, name)
		}
	}
	if code, _ := get(t, addr, ops.PathLive); code != http.StatusOK {
		t.Fatalf("livez while NATS is down = %d", code)
	}

	u, err := url.Parse(clientURL)
	if err != nil {
		t.Fatal(err)
	}
	ns, err = natsembed.Start(natsembed.Config{StoreDir: dir, Listen: u.Host})
	if err != nil {
		t.Fatalf("restart nats on %s: %v", u.Host, err)
	}
	rep = waitReady(t, addr, http.StatusOK)
	if !rep.OK || len(rep.Failed) != 0 {
		t.Fatalf("report after NATS came back: %+v", rep)
	}
}

// TestMetricsEndpoint serves the Go and process collectors.
func TestMetricsEndpoint(t *testing.T) {
	srv, err := ops.NewServer(ops.ServerConfig{Addr: "127.0.0.1:0", Gatherer: ops.NewRegistry(), Probe: ops.NewProbe()}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Stop(context.Background()) }()
	code, body := get(t, srv.Addr(), ops.PathMetrics)
	if code != http.StatusOK {
		t.Fatalf("metrics = %d", code)
	}
	for _, want := range []string{"go_goroutines ", "process_resident_memory_bytes "} {
		if !strings.Contains(body, want) {
			t.Fatalf("metrics lack %q", want)
		}
	}
}

// TestProbeReports runs passing, failing and hanging checks: every failing
// one is named with its reason and a hanging one fails as timed out.
func TestProbeReports(t *testing.T) {
	p := ops.NewProbe(
		ops.Func("good", func() error { return nil }),
		ops.Func("bad", func() error { return errors.New("broken") }),
		ops.Check{Name: "hang", Run: func(ctx context.Context) error { <-ctx.Done(); return nil }},
	)
	start := time.Now()
	rep := p.Ready(context.Background())
	if rep.OK || len(rep.Failed) != 2 || rep.Failed[0] != "bad" || rep.Failed[1] != "hang" {
		t.Fatalf("report = %+v", rep)
	}
	if rep.Checks["good"] != "ok" || rep.Checks["bad"] != "broken" || rep.Checks["hang"] != "timed out" {
		t.Fatalf("checks = %v", rep.Checks)
	}
	if d := time.Since(start); d > ops.DefaultCheckTimeout+5*time.Second {
		t.Fatalf("probe took %v", d)
	}
	if rep.Status() != http.StatusServiceUnavailable {
		t.Fatalf("status = %d", rep.Status())
	}
	if ok := ops.NewProbe().Ready(context.Background()); !ok.OK || ok.Status() != http.StatusOK {
		t.Fatalf("empty probe = %+v", ok)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
