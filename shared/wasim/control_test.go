package wasim_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

func TestControlAPIErrors(t *testing.T) {
	e := newEnv(t)
	_, _, res := e.pairQR(e.phone())
	validKey := base64.StdEncoding.EncodeToString(make([]byte, 32))
	unknownQR := "2@nope," + validKey + "," + validKey + "," + validKey

	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"scan malformed json", "POST", "/phone/scan", `{"qr":`, 400, "invalid_input"},
		{"scan wrong types", "POST", "/phone/scan", `{"qr":1}`, 400, "invalid_input"},
		{"scan bad phone", "POST", "/phone/scan", `{"qr":"` + unknownQR + `","phone":"abc"}`, 400, "invalid_input"},
		{"scan bad qr", "POST", "/phone/scan", `{"qr":"x,y","phone":"+15551112222"}`, 400, "invalid_input"},
		{"scan unknown qr", "POST", "/phone/scan", `{"qr":"` + unknownQR + `","phone":"+15551112222"}`, 404, "no_pending_qr"},
		{"link malformed", "POST", "/phone/link", `[]`, 400, "invalid_input"},
		{"link bad code", "POST", "/phone/link", `{"phone":"+15551112222","code":"AB0"}`, 400, "invalid_input"},
		{"link nobody waits", "POST", "/phone/link", `{"phone":"+15551112222","code":"ABCD-EFGH"}`, 404, "no_pending_code"},
		{"logout unknown device", "POST", "/devices/15550000000:7@s.whatsapp.net/logout", ``, 404, "unknown_device"},
		{"replace bad jid", "POST", "/devices/not-a-jid/replace", ``, 400, "invalid_input"},
		{"restart user jid", "POST", "/devices/15550000000@s.whatsapp.net/restart", ``, 400, "invalid_input"},
		{"drop unknown", "POST", "/devices/15550000000:1@s.whatsapp.net/drop", ``, 404, "unknown_device"},
		{"fail malformed", "POST", "/devices/" + res.JID.String() + "/fail", `{"reason":"x"}`, 400, "invalid_input"},
		{"fail bad reason", "POST", "/devices/" + res.JID.String() + "/fail", `{"reason":7}`, 400, "invalid_input"},
		{"fail unknown", "POST", "/devices/15550000000:1@s.whatsapp.net/fail", `{"reason":401}`, 404, "unknown_device"},
		{"message malformed", "POST", "/messages", `{`, 400, "invalid_input"},
		{"message empty text", "POST", "/messages", `{"to":"+15551112222","from":"+15551113333","text":""}`, 400, "invalid_input"},
		{"message bad from", "POST", "/messages", `{"to":"` + res.JID.String() + `","from":"x","text":"hi"}`, 400, "invalid_input"},
		{"message nobody live", "POST", "/messages", `{"to":"+15551112222","from":"+15551113333","text":"hi"}`, 404, "no_live_device"},
		{"faults malformed", "POST", "/faults", `{"reply_delay_ms":"slow"}`, 400, "invalid_input"},
		{"faults negative delay", "POST", "/faults", `{"reply_delay_ms":-1}`, 400, "invalid_input"},
		{"unknown route", "GET", "/nope", ``, 404, "not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out := control(t, e.sim, tc.method, tc.path, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d (%v)", status, tc.status, out)
			}
			errObj, ok := out["error"].(map[string]any)
			if !ok || errObj["code"] != tc.code || errObj["message"] == "" {
				t.Fatalf("body %v, want error code %q", out, tc.code)
			}
		})
	}
}

func TestControlAPITrustAndStats(t *testing.T) {
	e := newEnv(t)
	status, trust := control(t, e.sim, http.MethodGet, "/trust", "")
	if status != http.StatusOK {
		t.Fatalf("trust status %d", status)
	}
	root, err := base64.StdEncoding.DecodeString(trust["root_public_key"].(string))
	want := e.sim.RootPublicKey()
	if err != nil || string(root) != string(want[:]) {
		t.Fatalf("root_public_key %v", trust["root_public_key"])
	}
	if trust["ws_addr"] != e.sim.WSAddr() || len(trust) != 2 {
		t.Fatalf("trust %v, want exactly root_public_key and ws_addr=%s", trust, e.sim.WSAddr())
	}

	status, stats := control(t, e.sim, http.MethodGet, "/stats", "")
	if status != http.StatusOK {
		t.Fatalf("stats status %d", status)
	}
	for _, k := range []string{"connections", "logged_in", "handshakes", "pairings", "replaced", "messages", "key_shares", "app_state_syncs"} {
		if _, ok := stats[k].(float64); !ok {
			t.Fatalf("stats %v lacks number %q", stats, k)
		}
	}
	if len(stats) != 8 {
		t.Fatalf("stats has extra keys: %v", stats)
	}

	status, faults := control(t, e.sim, http.MethodPost, "/faults", `{"refuse_connections":true,"reply_delay_ms":5}`)
	if status != http.StatusOK || faults["refuse_connections"] != true || faults["reply_delay_ms"].(float64) != 5 {
		t.Fatalf("faults %d %v", status, faults)
	}
	if f := e.sim.Faults(); !f.RefuseConnections || f.StallHandshakes || f.ReplyDelayMS != 5 {
		t.Fatalf("faults in force %+v", f)
	}
}

func TestControlAPIKicks(t *testing.T) {
	e := newEnv(t)
	_, rec, res := e.pairQR(e.phone())
	for _, action := range []string{"drop", "restart"} {
		status, out := control(t, e.sim, http.MethodPost, "/devices/"+res.JID.String()+"/"+action, "")
		if status != http.StatusOK {
			t.Fatalf("%s: %d %v", action, status, out)
		}
		waitEvent[connectedEvent](t, rec)
		waitStats(t, e.sim, statsLoggedIn(1))
	}
	// LID device JIDs address the same device.
	status, out := control(t, e.sim, http.MethodPost, "/devices/"+res.LID.String()+"/logout", "")
	if status != http.StatusOK {
		t.Fatalf("logout by LID: %d %v", status, out)
	}
	waitEvent[loggedOutEvent](t, rec)
	status, out = control(t, e.sim, http.MethodPost, "/devices/"+res.JID.String()+"/replace", "")
	if status != http.StatusNotFound || !strings.Contains(out["error"].(map[string]any)["code"].(string), "offline") {
		t.Fatalf("replace offline device: %d %v", status, out)
	}
}
