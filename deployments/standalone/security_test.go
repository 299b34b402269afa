package standalone_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/deployments/standalone"
	"github.com/switchboard-gw/switchboard/shared/config"
	"github.com/switchboard-gw/switchboard/shared/wasim/wasimtest"
)

// builtinGateway starts a standalone gateway with the built-in simulator
// (--simulator) on dataDir; mod may change the configuration.
func builtinGateway(t *testing.T, dataDir string, mod func(*config.Config)) (*standalone.Gateway, *api) {
	t.Helper()
	cfg := config.Config{
		HTTPAddr: "127.0.0.1:0", DataDir: dataDir, AdminKey: adminKey, Shards: 4, Replicas: 1,
		HealthcheckInterval: time.Hour, SimWSAddr: "127.0.0.1:0", SimControlAddr: "127.0.0.1:0",
		WorkerID: "w-" + t.Name(), LogLevel: "warn", EventRetention: 24 * time.Hour,
	}
	if mod != nil {
		mod(&cfg)
	}
	gw, err := standalone.New(standalone.Config{
		Config: cfg, Simulator: true, SimulatorRootKey: wasimtest.Config().RootPrivateKey,
	}, zap.NewNop())
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

// scanBuiltin links session id by QR on the gateway's built-in simulator.
func scanBuiltin(t *testing.T, gw *standalone.Gateway, a *api, id, phone string) {
	t.Helper()
	qr := a.waitQR(id, 20*time.Second)
	b, _ := json.Marshal(map[string]any{"qr": qr, "phone": phone, "push_name": "Demo"})
	resp, err := http.Post("http://"+gw.SimulatorControlAddr()+"/phone/scan", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("scan: status %d", resp.StatusCode)
	}
	a.waitStatus(id, "logged_in", 20*time.Second)
}

// TestSimulatorStateSurvivesRestart: a restarted `switchboard --simulator`
// keeps its demo sessions logged in; the simulator used to forget every
// device and answer their logins with 401, logging them all out.
func TestSimulatorStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	gw, a := builtinGateway(t, dir, nil)
	a.must(201, "POST", "/api/v1/sessions", map[string]any{"id": "demo"})
	scanBuiltin(t, gw, a, "demo", "+15550177001")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := gw.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "wasim-state.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("simulator state file: %v %v", st, err)
	}

	_, a = builtinGateway(t, dir, nil)
	got := a.waitStatus("demo", "logged_in", 30*time.Second)
	if got["phone_number"] != "15550177001" {
		t.Fatalf("after restart: %v", got)
	}
}

// TestDataDirModes: everything under the data dir is private (files 0600,
// dirs 0700), files an older version left 0644 are tightened, and a data
// dir that other users can read is refused.
func TestDataDirModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(filepath.Join(dir, "jetstream"), 0o700); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "switchboard.db")
	if err := os.WriteFile(old, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(old, 0o644)
	os.Chmod(filepath.Join(dir, "jetstream"), 0o755)
	gw, a := builtinGateway(t, dir, nil)
	a.must(201, "POST", "/api/v1/sessions", map[string]any{"id": "modes", "webhook": map[string]any{"url": "https://example.com/h", "secret": "s3cr3t-value"}})
	scanBuiltin(t, gw, a, "modes", "+15550177002")
	if err := gw.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkPrivate(t, dir)

	// A world-readable data dir of ours is tightened on start.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gw, a = builtinGateway(t, dir, nil)
	a.waitStatus("modes", "logged_in", 30*time.Second)
	if err := gw.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkPrivate(t, dir)

	// One that another user owns cannot be tightened: refused with a clear
	// error, before anything is written.
	foreign := filepath.Join(t.TempDir(), "foreign")
	if err := os.Mkdir(foreign, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(foreign, 0o755)
	if os.Getuid() == 0 {
		if err := os.Chown(foreign, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	} else {
		foreign = "/" // owned by root, mode 0755: not ours to tighten
	}
	gw2, err := standalone.New(standalone.Config{Config: config.Config{DataDir: foreign, HTTPAddr: "127.0.0.1:0", Shards: 4, Replicas: 1}}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := gw2.Start(context.Background()); !errors.Is(err, standalone.ErrDataDirExposed) {
		t.Fatalf("start on a world-readable data dir = %v, want ErrDataDirExposed", err)
	}
}

func checkPrivate(t *testing.T, dir string) {
	t.Helper()
	n := 0
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		info, _ := d.Info()
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s has mode %04o, want %04o", path, info.Mode().Perm(), want)
		}
		n++
		return nil
	})
	if n < 10 {
		t.Fatalf("only %d entries under the data dir", n)
	}
}
