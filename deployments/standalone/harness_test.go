package standalone_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/deployments/standalone"
	"github.com/switchboard-gw/switchboard/shared/config"
	"github.com/switchboard-gw/switchboard/shared/wasim"
	"github.com/switchboard-gw/switchboard/shared/wasim/wasimtest"
)

// sim is the one simulator of this test process: whatsmeow trusts one root
// key per process, and the simulated phones must outlive gateway restarts.
var sim *wasim.Server

func TestMain(m *testing.M) { os.Exit(wasimtest.Main(m, &sim)) }

const adminKey = "admin-test-key"

// gateway starts a standalone gateway on dataDir (and dbURL when set) with
// the test simulator, stopped when the test ends unless stopped earlier.
// Webhook receivers in these tests listen on loopback, so the SSRF guard is
// opened explicitly (SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE); tweak may change
// the configuration further.
func gateway(t testing.TB, dataDir, dbURL string, tweak ...func(*config.Config)) (*standalone.Gateway, *api) {
	t.Helper()
	return gatewayLogged(t, dataDir, dbURL, zap.NewNop(), tweak...)
}

// gatewayLogged is gateway with the process logger log.
func gatewayLogged(t testing.TB, dataDir, dbURL string, log *zap.Logger, tweak ...func(*config.Config)) (*standalone.Gateway, *api) {
	t.Helper()
	cfg := config.Config{
		HTTPAddr:            "127.0.0.1:0",
		DataDir:             dataDir,
		DatabaseURL:         dbURL,
		AdminKey:            adminKey,
		TenantKeys:          "acme:acme-key-0123456789,globex:globex-key-0123456789",
		Shards:              8,
		Replicas:            1,
		HealthcheckInterval: time.Hour,
		WASimulator:         sim.ControlAddr(),
		WorkerID:            "w-" + t.Name(),
		LogLevel:            "warn",
		WebhookAllowPrivate: true,
		DeadLetterRetention: 7 * 24 * time.Hour,
	}
	for _, f := range tweak {
		f(&cfg)
	}
	gw, err := standalone.New(standalone.Config{Config: cfg}, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := gw.Start(ctx); err != nil {
		t.Fatalf("start gateway: %v", err)
	}
	t.Cleanup(func() { _ = gw.Stop(context.Background()) })
	return gw, &api{t: t, base: "http://" + gw.APIAddr(), key: adminKey}
}

// api is a tiny HTTP client for the gateway.
type api struct {
	t    testing.TB
	base string
	key  string
}

func (a *api) as(key string) *api { return &api{t: a.t, base: a.base, key: key} }

func (a *api) do(method, path string, body any) (int, map[string]any) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	if a.key != "" {
		req.Header.Set("Authorization", "Bearer "+a.key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out); err != nil {
			a.t.Fatalf("%s %s: bad json %q", method, path, raw)
		}
	}
	return resp.StatusCode, out
}

func (a *api) must(want int, method, path string, body any) map[string]any {
	a.t.Helper()
	code, out := a.do(method, path, body)
	if code != want {
		a.t.Fatalf("%s %s: status %d, want %d: %v", method, path, code, want, out)
	}
	return out
}

// waitStatus polls the status route until it reports want.
func (a *api) waitStatus(id, want string, within time.Duration) map[string]any {
	a.t.Helper()
	deadline := time.Now().Add(within)
	var last map[string]any
	for time.Now().Before(deadline) {
		_, last = a.do("GET", "/api/v1/sessions/"+id+"/status", nil)
		if last["status"] == want {
			return last
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.t.Fatalf("session %s: status %v after %v, want %s", id, last, within, want)
	return nil
}

// waitQR polls the qr route until it has a code.
func (a *api) waitQR(id string, within time.Duration) string {
	a.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		_, out := a.do("GET", "/api/v1/sessions/"+id+"/qr", nil)
		if codes, _ := out["qr_codes"].([]any); len(codes) > 0 {
			return codes[0].(string)
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.t.Fatalf("session %s: no QR within %v", id, within)
	return ""
}

// simPost calls the simulator's control API.
func simPost(t testing.TB, path string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post("http://"+sim.ControlAddr()+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func simStats(t testing.TB) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + sim.ControlAddr() + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out
}

// link creates a session and links it by QR to phone; it returns the device jid.
func link(t testing.TB, a *api, id, phone string) string {
	t.Helper()
	a.must(201, "POST", "/api/v1/sessions", map[string]any{"id": id, "name": "n-" + id})
	qr := a.waitQR(id, 20*time.Second)
	code, out := simPost(t, "/phone/scan", map[string]any{"qr": qr, "phone": phone, "push_name": "Alice"})
	if code != 200 {
		t.Fatalf("scan: %d %v", code, out)
	}
	a.waitStatus(id, "logged_in", 20*time.Second)
	return out["jid"].(string)
}
