package standalone_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/deployments/standalone"
	"github.com/switchboard-gw/switchboard/shared/config"
)

// scrape reads the gateway's /metrics (no key needed).
func scrape(t *testing.T, a *api) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	resp, err := http.Get(a.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams, string(raw)
}

// value returns the value of the series of name whose labels include want,
// and whether there is one (counter, gauge, or a histogram's count).
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// TestMetricsAfterLinking links a session through the simulator and reads
// the whole gateway's metrics from the api port: the cluster-wide and
// per-worker session gauges, the request counters under route templates,
// the worker's connect, pacer and command metrics, the webhook, scheduler,
// Go and process collectors; and no label carries the session id or phone.
func TestMetricsAfterLinking(t *testing.T) {
	_, a := gateway(t, t.TempDir(), "")
	const id, phone = "metricsz7q", "15550001234"
	link(t, a, id, phone)

	// The mirror sees WORKING as soon as the status route does; poll anyway
	// for the worker's own view.
	deadline := time.Now().Add(20 * time.Second)
	var fams map[string]*dto.MetricFamily
	var raw string
	for {
		fams, raw = scrape(t, a)
		v, _ := value(fams, "switchboard_worker_sessions", map[string]string{"status": "WORKING"})
		if v == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(raw, `switchboard_sessions{status="WORKING"} 1`+"\n") {
		t.Errorf("no switchboard_sessions{status=\"WORKING\"} 1 in /metrics")
	}
	checks := []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"switchboard_sessions", map[string]string{"status": "WORKING"}, 1},
		{"switchboard_worker_sessions", map[string]string{"status": "WORKING"}, 1},
		{"switchboard_worker_shards_owned", nil, 8},
		{"switchboard_http_requests_total", map[string]string{"method": "POST", "route": "/api/v1/sessions", "code": "201"}, 1},
		{"switchboard_http_requests_total", map[string]string{"method": "GET", "route": "/api/v1/sessions/:id/status", "code": "200"}, 1},
		{"switchboard_http_request_duration_seconds", map[string]string{"method": "GET", "route": "/api/v1/sessions/:id/qr"}, 1},
		{"switchboard_worker_connects_total", map[string]string{"result": "ok"}, 1},
		{"switchboard_worker_pacer_wait_seconds", nil, 1},
		{"switchboard_worker_command_apply_seconds", map[string]string{"verb": "start"}, 1},
		{"switchboard_worker_keepalive_failures_total", nil, 0},
		{"switchboard_webhook_deliveries_total", map[string]string{"result": "delivered"}, 0},
		{"switchboard_webhook_dead_letters_total", nil, 0},
		{"switchboard_webhook_delivery_seconds", nil, 0},
		{"switchboard_scheduler_leader", nil, 0},
		{"go_goroutines", nil, 1},
		{"process_resident_memory_bytes", nil, 1},
	}
	for _, c := range checks {
		v, ok := value(fams, c.name, c.labels)
		if !ok || v < c.min {
			t.Errorf("%s%v = %v (present %v), want at least %v", c.name, c.labels, v, ok, c.min)
		}
	}
	if t.Failed() {
		for _, line := range strings.Split(raw, "\n") {
			if strings.HasPrefix(line, "switchboard_") && !strings.Contains(line, "_bucket{") {
				t.Log(line)
			}
		}
	}
	if v, _ := value(fams, "switchboard_sessions", map[string]string{"status": "STARTING"}); v != 0 {
		t.Errorf("switchboard_sessions{STARTING} = %v", v)
	}
	// Unknown paths count under one label, never their raw path.
	a.do("GET", "/api/v1/nothing/"+id, nil)
	fams, raw = scrape(t, a)
	if v, _ := value(fams, "switchboard_http_requests_total", map[string]string{"route": "unmatched", "code": "404"}); v < 1 {
		t.Errorf("unmatched 404 not counted")
	}
	for _, secret := range []string{id, phone} {
		if strings.Contains(raw, secret) {
			t.Errorf("/metrics mentions %q", secret)
		}
	}
}

// TestProbes reads the standalone's probes on the api port: every role's
// checks pass, each named in the body, and /healthz is /readyz.
func TestProbes(t *testing.T) {
	_, a := gateway(t, t.TempDir(), "")
	for _, path := range []string{"/readyz", "/healthz"} {
		resp, err := http.Get(a.base + path)
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			OK     bool              `json:"ok"`
			Checks map[string]string `json:"checks"`
		}
		err = json.NewDecoder(resp.Body).Decode(&rep)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !rep.OK {
			t.Fatalf("%s: %d %+v %v", path, resp.StatusCode, rep, err)
		}
		for _, name := range []string{"nats", "streams", "buckets", "mirror", "shards", "database", "scheduler"} {
			if rep.Checks[name] != "ok" {
				t.Errorf("%s: check %s = %q", path, name, rep.Checks[name])
			}
		}
	}
	code, out := a.as("").do("GET", "/livez", nil)
	if code != http.StatusOK || out["ok"] != true {
		t.Fatalf("livez: %d %v", code, out)
	}
}

// TestBanner checks the one short banner of a start: where the api, the
// dashboard, the docs and the data are, and where the admin key is kept
// (printed itself only when generated).
func TestBanner(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	cfg := config.Config{
		HTTPAddr: "127.0.0.1:0", DataDir: dir, Shards: 2, Replicas: 1,
		HealthcheckInterval: time.Hour, WASimulator: sim.ControlAddr(), WorkerID: "w-banner",
	}
	gw, err := standalone.New(standalone.Config{Config: cfg, Banner: &out}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := gw.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = gw.Stop(context.Background()) }()
	base := "http://" + gw.APIAddr()
	text := out.String()
	for _, want := range []string{base + "\n", base + "/dashboard/", base + "/docs", dir, "admin.key", "Generated admin key (shown once): sb_"} {
		if !strings.Contains(text, want) {
			t.Errorf("banner lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "\n"); n > 10 {
		t.Errorf("banner has %d lines:\n%s", n, text)
	}
}
