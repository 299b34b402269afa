package standalone_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	_ "modernc.org/sqlite"
)

// pushNames reads the push name from every surface: /api/v1 session,
// status and device, and Wawp's me.pushName.
func pushNames(a *api, id string) []any {
	_, s := a.do("GET", "/api/v1/sessions/"+id, nil)
	_, st := a.do("GET", "/api/v1/sessions/"+id+"/status", nil)
	_, dev := a.do("GET", "/api/v1/sessions/"+id+"/device", nil)
	q := url.Values{"instance_id": {id}, "access_token": {a.key}}.Encode()
	_, info := a.do("GET", "/v2/session/info?"+q, nil)
	var me any
	if m, ok := info["me"].(map[string]any); ok {
		me = m["pushName"]
	}
	return []any{s["push_name"], st["push_name"], dev["push_name"], me}
}

// waitPushName polls until every surface shows name.
func waitPushName(t *testing.T, a *api, id, name string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var got []any
	for time.Now().Before(deadline) {
		got = pushNames(a, id)
		if got[0] == name && got[1] == name && got[2] == name && got[3] == name {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("session %s: push names %v after %v, want %q everywhere", id, got, within, name)
}

// hookRecorder collects push_name webhook envelopes.
func hookRecorder(t *testing.T) (*httptest.Server, chan map[string]any) {
	got := make(chan map[string]any, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var env map[string]any
		if err := json.Unmarshal(body, &env); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		got <- env
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func nextPushNameEvent(t *testing.T, got chan map[string]any) map[string]any {
	t.Helper()
	select {
	case env := <-got:
		if env["type"] != "push_name" {
			t.Fatalf("filter let %v through", env["type"])
		}
		return env["data"].(map[string]any)
	case <-time.After(20 * time.Second):
		t.Fatal("no push_name event")
	}
	return nil
}

// TestPushNameOnEverySurface links by QR and by pair code and shows the
// phone's push name on every surface within 2 s of logged_in; a rename on
// the phone shows up and is announced; a gateway restart keeps it.
func TestPushNameOnEverySurface(t *testing.T) {
	dir := t.TempDir()
	gw, a := gateway(t, dir, "")
	hook, events := hookRecorder(t)

	a.must(201, "POST", "/api/v1/sessions", map[string]any{"id": "pnq", "webhook": map[string]any{
		"url": hook.URL, "events": []string{"push_name"},
	}})
	qr := a.waitQR("pnq", 20*time.Second)
	if code, out := simPost(t, "/phone/scan", map[string]any{"qr": qr, "phone": "+15550500001", "push_name": "Alice Q"}); code != 200 {
		t.Fatalf("scan: %d %v", code, out)
	}
	a.waitStatus("pnq", "logged_in", 20*time.Second)
	waitPushName(t, a, "pnq", "Alice Q", 2*time.Second)
	if data := nextPushNameEvent(t, events); data["push_name"] != "Alice Q" || data["previous"] != nil {
		t.Fatalf("first push_name event %v", data)
	}

	a.must(201, "POST", "/api/v1/sessions", map[string]any{"id": "pnc"})
	a.waitQR("pnc", 20*time.Second)
	pc := a.must(200, "POST", "/api/v1/sessions/pnc/pair", map[string]any{"phone_number": "+15550500002"})
	if code, out := simPost(t, "/phone/link", map[string]any{"phone": "+15550500002", "code": pc["code"], "push_name": "Bob P"}); code != 200 {
		t.Fatalf("link: %d %v", code, out)
	}
	a.waitStatus("pnc", "logged_in", 20*time.Second)
	waitPushName(t, a, "pnc", "Bob P", 2*time.Second)

	// The user renames themselves on the phone.
	if code, out := simPost(t, "/phone/push-name", map[string]any{"phone": "+15550500001", "push_name": "Alice Renamed"}); code != 200 {
		t.Fatalf("push-name: %d %v", code, out)
	}
	waitPushName(t, a, "pnq", "Alice Renamed", 10*time.Second)
	if data := nextPushNameEvent(t, events); data["push_name"] != "Alice Renamed" || data["previous"] != "Alice Q" {
		t.Fatalf("rename push_name event %v", data)
	}

	// whatsmeow saved the name in the device store, where a restarted
	// gateway's client reads it on reconnect.
	if err := gw.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "switchboard.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var stored string
	err = db.QueryRow(`SELECT push_name FROM whatsmeow_device WHERE jid LIKE '15550500001%'`).Scan(&stored)
	_ = db.Close()
	if err != nil || stored != "Alice Renamed" {
		t.Fatalf("device store push name %q (%v)", stored, err)
	}
	_, a = gateway(t, dir, "")
	a.waitStatus("pnq", "logged_in", 20*time.Second)
	waitPushName(t, a, "pnq", "Alice Renamed", 2*time.Second)
	waitPushName(t, a, "pnc", "Bob P", 20*time.Second)
}

// TestCorruptPatchKeepsOldName: whatsmeow rejects a patch whose MAC is
// wrong; the session stays logged in with the old name, the gateway logs
// the rejection, and the next good patch goes through.
func TestCorruptPatchKeepsOldName(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	_, a := gatewayLogged(t, t.TempDir(), "", zap.New(core))
	link(t, a, "pnbad", "+15550500003") // push name "Alice"
	waitPushName(t, a, "pnbad", "Alice", 2*time.Second)

	t.Cleanup(func() { simPost(t, "/faults", map[string]any{}) })
	if code, out := simPost(t, "/faults", map[string]any{"corrupt_patch_mac": true}); code != 200 {
		t.Fatalf("faults: %d %v", code, out)
	}
	if code, out := simPost(t, "/phone/push-name", map[string]any{"phone": "+15550500003", "push_name": "Mallory"}); code != 200 {
		t.Fatalf("push-name: %d %v", code, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !rejected(logs) {
		if time.Now().After(deadline) {
			t.Fatal("the gateway logged no rejected patch")
		}
		time.Sleep(20 * time.Millisecond)
	}
	st := a.must(200, "GET", "/api/v1/sessions/pnbad/status", nil)
	if st["status"] != "logged_in" || st["push_name"] != "Alice" {
		t.Fatalf("after a corrupted patch: %v", st)
	}
	waitPushName(t, a, "pnbad", "Alice", time.Second)

	simPost(t, "/faults", map[string]any{})
	if code, out := simPost(t, "/phone/push-name", map[string]any{"phone": "+15550500003", "push_name": "Alice Again"}); code != 200 {
		t.Fatalf("push-name: %d %v", code, out)
	}
	waitPushName(t, a, "pnbad", "Alice Again", 10*time.Second)
}

// rejected reports whether a whatsmeow log line names the patch MAC mismatch.
func rejected(logs *observer.ObservedLogs) bool {
	for _, e := range logs.All() {
		if d, _ := e.ContextMap()["detail"].(string); strings.Contains(d, "mismatching patch MAC") {
			return true
		}
	}
	return false
}
