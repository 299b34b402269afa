package standalone_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestLifecycleOverHTTP walks a session through its whole life over HTTP:
// create → QR → scan → logged_in → device → disconnect → connect (no new QR)
// → restart → logout → delete → 404.
func TestLifecycleOverHTTP(t *testing.T) {
	_, a := gateway(t, t.TempDir(), "")
	jid := link(t, a, "life", "+15550100001")

	dev := a.must(200, "GET", "/api/v1/sessions/life/device", nil)
	if dev["phone_number"] != "15550100001" || dev["lid"] == "" || dev["lid"] == nil {
		t.Fatalf("device = %v (jid %s)", dev, jid)
	}
	got := a.must(200, "GET", "/api/v1/sessions/life", nil)
	if got["is_logged_in"] != true || got["last_connected_at"] == nil || got["phone_number"] != "15550100001" {
		t.Fatalf("session = %v", got)
	}

	pairings := simStats(t)["pairings"]
	a.must(200, "POST", "/api/v1/sessions/life/disconnect", nil)
	a.waitStatus("life", "disconnected", 10*time.Second)
	// Account protection (on by default) spaces a session's connects 10 s.
	a.must(200, "POST", "/api/v1/sessions/life/connect", nil)
	a.waitStatus("life", "logged_in", 25*time.Second)
	a.must(200, "POST", "/api/v1/sessions/life/restart", nil)
	a.waitStatus("life", "logged_in", 25*time.Second)
	if simStats(t)["pairings"] != pairings {
		t.Fatal("reconnecting a linked session paired again")
	}

	a.must(200, "POST", "/api/v1/sessions/life/logout", nil)
	st := a.waitStatus("life", "disconnected", 10*time.Second)
	if st["is_logged_in"] != false {
		t.Fatalf("after logout: %v", st)
	}
	if code, _ := a.do("GET", "/api/v1/sessions/life/device", nil); code != 404 {
		t.Fatalf("device after logout: %d, want 404", code)
	}

	out := a.must(200, "DELETE", "/api/v1/sessions/life", nil)
	if out["success"] != true {
		t.Fatalf("delete = %v", out)
	}
	a.must(404, "GET", "/api/v1/sessions/life", nil)
}

func TestPairCodeOverHTTP(t *testing.T) {
	_, a := gateway(t, t.TempDir(), "")
	a.must(201, "POST", "/api/v1/sessions", map[string]any{"id": "pc"})
	a.waitQR("pc", 20*time.Second)
	out := a.must(200, "POST", "/api/v1/sessions/pc/pair", map[string]any{"phone_number": "+15550100002", "show_push_notification": true})
	code, _ := out["code"].(string)
	if len(code) != 9 || code[4] != '-' {
		t.Fatalf("pair code = %v", out)
	}
	a.waitStatus("pc", "waiting_for_pair_code", 10*time.Second)
	if st, body := simPost(t, "/phone/link", map[string]any{"phone": "+15550100002", "code": code}); st != 200 {
		t.Fatalf("link: %d %v", st, body)
	}
	st := a.waitStatus("pc", "logged_in", 20*time.Second)
	if st["phone_number"] != "15550100002" {
		t.Fatalf("status = %v", st)
	}
}

func TestRemoteLogoutAndReplacedShowInStatus(t *testing.T) {
	_, a := gateway(t, t.TempDir(), "")
	jid := link(t, a, "rl", "+15550100003")
	if code, body := simPost(t, "/devices/"+jid+"/logout", nil); code != 200 {
		t.Fatalf("sim logout: %d %v", code, body)
	}
	st := a.waitStatus("rl", "disconnected", 10*time.Second)
	if st["is_logged_in"] != false {
		t.Fatalf("after remote logout: %v", st)
	}

	jid = link(t, a, "rp", "+15550100004")
	before := simStats(t)["replaced"]
	if code, body := simPost(t, "/devices/"+jid+"/replace", nil); code != 200 {
		t.Fatalf("sim replace: %d %v", code, body)
	}
	st = a.waitStatus("rp", "disconnected", 10*time.Second)
	if st["last_error"] != "replaced" {
		t.Fatalf("after replaced: %v", st)
	}
	if simStats(t)["replaced"] != before+1 {
		t.Fatal("replaced counter did not move by one")
	}
}

func TestTenantsAreIsolated(t *testing.T) {
	_, a := gateway(t, t.TempDir(), "")
	acme, globex := a.as("acme-key-0123456789"), a.as("globex-key-0123456789")
	acme.must(201, "POST", "/api/v1/sessions", map[string]any{"id": "same", "name": "acme's"})
	globex.must(201, "POST", "/api/v1/sessions", map[string]any{"id": "same", "name": "globex's"})
	if got := acme.must(200, "GET", "/api/v1/sessions/same", nil); got["name"] != "acme's" {
		t.Fatalf("acme sees %v", got)
	}
	if got := globex.must(200, "GET", "/api/v1/sessions/same", nil); got["name"] != "globex's" {
		t.Fatalf("globex sees %v", got)
	}
	acme.must(201, "POST", "/api/v1/sessions", map[string]any{"id": "acme-only"})
	globex.must(404, "GET", "/api/v1/sessions/acme-only", nil)
	globex.must(404, "DELETE", "/api/v1/sessions/acme-only", nil)
	globex.must(404, "POST", "/api/v1/sessions/acme-only/restart", nil)
	if l := globex.must(200, "GET", "/api/v1/sessions", nil); l["total"] != float64(1) {
		t.Fatalf("globex lists %v", l)
	}
	a.as("wrong").must(401, "GET", "/api/v1/sessions", nil)
	acme.must(200, "GET", "/api/v1/sessions/acme-only", nil)
}

// TestRestartBringsLinkedSessionsBack stops the whole gateway and starts a
// new one on the same data: linked sessions log in again without a QR.
func TestRestartBringsLinkedSessionsBack(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		restartCase(t, "")
	})
	t.Run("postgres", func(t *testing.T) {
		restartCase(t, postgresDB(t))
	})
}

func restartCase(t *testing.T, dbURL string) {
	dir := t.TempDir()
	gw, a := gateway(t, dir, dbURL)
	phones := []string{"+15550200001", "+15550200002", "+15550200003"}
	if dbURL != "" {
		phones = []string{"+15550300001", "+15550300002", "+15550300003"}
	}
	for i, p := range phones {
		link(t, a, "keep-"+string(rune('a'+i)), p)
	}
	if err := gw.Stop(context.Background()); err != nil {
		t.Fatalf("stop: %v", err)
	}
	pairings, replaced := simStats(t)["pairings"], simStats(t)["replaced"]
	_, a = gateway(t, dir, dbURL)
	for i := range phones {
		a.waitStatus("keep-"+string(rune('a'+i)), "logged_in", 30*time.Second)
	}
	s := simStats(t)
	if s["pairings"] != pairings {
		t.Fatalf("restart paired again: %v → %v", pairings, s["pairings"])
	}
	if s["replaced"] != replaced {
		t.Fatalf("restart replaced a live connection: %v → %v", replaced, s["replaced"])
	}
}

// postgresDB creates a fresh database on the local Postgres for one test.
func postgresDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	if err != nil {
		t.Fatalf("postgres on 127.0.0.1:5432 is required (CI starts it): %v", err)
	}
	defer admin.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "switchboard_e2e_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			_ = c.Close(context.Background())
		}
	})
	return "postgres://postgres@127.0.0.1:5432/" + name + "?sslmode=disable"
}
