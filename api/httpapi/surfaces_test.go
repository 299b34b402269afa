package httpapi_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/session"
)

func TestWASendSurface(t *testing.T) {
	e := newEnv(t)
	// The WASend Go SDK sends its booleans as numbers.
	r := e.call("POST", "/sessions", keyA, `{"sessionName":"My Business","phoneNumber":"+1 415 555 2671","enableAccountProtection":1,"enableMessageLogging":true,"enableWebhook":0}`)
	mustStatus(t, r, http.StatusCreated)
	m := r.json(t)
	id, _ := m["uniqueSessionId"].(string)
	if !session.ValidID(id) || m["status"] != "CREATED" || m["phoneNumber"] != "14155552671" || m["sessionName"] != "My Business" {
		t.Fatalf("create: %s", r.body)
	}
	cfg := m["config"].(map[string]any)
	if cfg["enableAccountProtection"] != true || cfg["enableMessageLogging"] != true || cfg["enableWebhook"] != false {
		t.Errorf("config: %s", r.body)
	}
	if n := e.commandCount(); n != 0 {
		t.Errorf("WASend create published %d commands (sessions start with /start)", n)
	}
	if _, err := time.Parse(time.RFC3339, m["createdAt"].(string)); err != nil {
		t.Errorf("createdAt: %v", err)
	}
	dup := e.call("POST", "/sessions", keyA, `{"sessionName":"My Business","phoneNumber":"+14155552671"}`)
	if dup.status != http.StatusConflict || dup.errCode() != "name_exists" {
		t.Errorf("same name: %d %s", dup.status, dup.body)
	}
	for _, tc := range []struct{ body, code string }{
		{`{"phoneNumber":"+14155552671"}`, "invalid_request"},
		{`{"sessionName":"x"}`, "invalid_phone_number"},
		{`{"sessionName":"x","phoneNumber":"+14155552671","enableWebhook":true}`, "invalid_webhook_url"},
		{`{"sessionName":"x","phoneNumber":"+14155552671","enableWebhook":"yes"}`, "invalid_request"},
	} {
		if r := e.call("POST", "/sessions", keyA, tc.body); r.status != http.StatusBadRequest || r.errCode() != tc.code {
			t.Errorf("%s: %d %s", tc.body, r.status, r.body)
		}
	}

	r = e.call("POST", "/sessions/"+id+"/start", keyA, nil)
	mustStatus(t, r, http.StatusOK)
	if cmd := e.nextCommand(); cmd.Verb != command.Start || cmd.Session != id {
		t.Errorf("start published %+v", cmd)
	}
	e.setState(tenantA, id, func(st *session.State) { st.Status = session.StatusWorking })
	eventually(t, "WORKING", func() bool {
		return e.call("GET", "/sessions/"+id, keyA, nil).json(t)["status"] == "WORKING"
	})
	// A running session is not restarted on this surface (seed 004).
	r = e.call("POST", "/sessions/"+id+"/restart", keyA, nil, "X-Api-Key", keyA)
	if r.status != http.StatusConflict || r.errCode() != "session_running" {
		t.Errorf("restart WORKING: %d %s", r.status, r.body)
	}
	list := e.call("GET", "/sessions", keyA, nil)
	mustStatus(t, list, http.StatusOK)
	mustStatus(t, e.call("GET", "/sessions/"+id, keyB, nil), http.StatusNotFound)
	mustStatus(t, e.call("DELETE", "/sessions/"+id, keyA, nil), http.StatusOK)
	mustStatus(t, e.call("GET", "/sessions/"+id, keyA, nil), http.StatusNotFound)
}

func TestWawpSurface(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "inst1", "name": "wawp-1"})
	e.nextCommand()
	q := url.Values{"instance_id": {"inst1"}, "access_token": {keyA}}.Encode()
	r := e.call("GET", "/v2/session/info?"+q, "", nil)
	mustStatus(t, r, http.StatusOK)
	if m := r.json(t); m["name"] != "wawp-1" || m["status"] != "STARTING" || m["me"] != nil || m["qr"] != nil {
		t.Fatalf("info: %s", r.body)
	}
	e.setState(tenantA, "inst1", func(st *session.State) { st.Status = session.StatusScanQR })
	e.putPairing(tenantA, "inst1", session.Pairing{QRCodes: []string{"2@QR"}})
	eventually(t, "qr in info", func() bool {
		qr, _ := e.call("GET", "/v2/session/info?"+q, "", nil).json(t)["qr"].(string)
		png, _ := base64.StdEncoding.DecodeString(qr)
		return len(png) > 8 && string(png[1:4]) == "PNG"
	})
	e.setState(tenantA, "inst1", func(st *session.State) {
		st.Status, st.PhoneNumber, st.PushName = session.StatusWorking, "201012345678", "John Doe"
	})
	eventually(t, "me", func() bool {
		me, _ := e.call("GET", "/v2/session/info?"+q, "", nil).json(t)["me"].(map[string]any)
		return me["id"] == "201012345678@c.us" && me["pushName"] == "John Doe"
	})
	// Parameters in a JSON body work too.
	r = e.call("POST", "/v2/session/restart", "", map[string]any{"instance_id": "inst1", "access_token": keyA})
	mustStatus(t, r, http.StatusOK)
	if cmd := e.nextCommand(); cmd.Verb != command.Restart || cmd.Session != "inst1" {
		t.Errorf("restart published %+v", cmd)
	}
	for _, tc := range []struct {
		query  string
		status int
		code   string
	}{
		{url.Values{"instance_id": {"inst1"}}.Encode(), http.StatusUnauthorized, "unauthorized"},
		{url.Values{"instance_id": {"inst1"}, "access_token": {keyB}}.Encode(), http.StatusNotFound, "session_not_found"},
		{url.Values{"access_token": {keyA}}.Encode(), http.StatusBadRequest, "invalid_request"},
		{url.Values{"instance_id": {"a.b"}, "access_token": {keyA}}.Encode(), http.StatusBadRequest, "invalid_session_id"},
	} {
		if r := e.call("GET", "/v2/session/info?"+tc.query, "", nil); r.status != tc.status || r.errCode() != tc.code {
			t.Errorf("%s: %d %s", tc.query, r.status, r.body)
		}
	}
	mustStatus(t, e.call("POST", "/v2/session/delete?"+q, "", nil), http.StatusOK)
	mustStatus(t, e.call("GET", "/v2/session/info?"+q, "", nil), http.StatusNotFound)
}
