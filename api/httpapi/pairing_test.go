package httpapi_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/api/httpapi"
	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// pairWorker plays the worker for one pair command: it answers with a code,
// or with failure when fail is set.
func (e *env) pairWorker(fail string) <-chan command.Command {
	got := make(chan command.Command, 1)
	go func() {
		defer close(got)
		for {
			cmd, ok := e.tryCommand(5 * time.Second)
			if !ok {
				return
			}
			if cmd.Verb != command.Pair {
				continue
			}
			p := session.Pairing{Code: "ABCD-EFGH", TimeoutSeconds: 60, Command: cmd.ID}
			if fail != "" {
				p = session.Pairing{Error: fail, Command: cmd.ID}
			}
			e.putPairing(cmd.Tenant, cmd.Session, p)
			got <- cmd
			return
		}
	}()
	return got
}

func TestPair(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "s1"})
	e.call("POST", "/api/v1/sessions/s1/disconnect", keyA, nil)
	// A stale entry of an earlier command must not answer this request.
	e.putPairing(tenantA, "s1", session.Pairing{Code: "OLD0-CODE", Command: "earlier"})
	worker := e.pairWorker("")
	r := e.call("POST", "/api/v1/sessions/s1/pair", keyA, map[string]any{"phone_number": "+62 812 3456 7890", "show_push_notification": true})
	mustStatus(t, r, http.StatusOK)
	if m := r.json(t); m["code"] != "ABCD-EFGH" || m["timeout_seconds"] != 60.0 {
		t.Fatalf("body %s", r.body)
	}
	cmd := <-worker
	if cmd.Phone != "6281234567890" || !cmd.ShowPushNotification || cmd.Tenant != tenantA || cmd.Session != "s1" {
		t.Errorf("pair command %+v", cmd)
	}
	if rec, _ := e.record(tenantA, "s1"); rec.Desired != session.DesiredRunning {
		t.Errorf("pair left desired %s", rec.Desired)
	}
}

func TestPairIdempotent(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "s1"})
	e.nextCommand()
	worker := e.pairWorker("")
	body := map[string]any{"phone_number": "+6281234567890"}
	first := e.call("POST", "/api/v1/sessions/s1/pair", keyA, body, "Idempotency-Key", "p-1")
	<-worker
	second := e.call("POST", "/api/v1/sessions/s1/pair", keyA, body, "Idempotency-Key", "p-1")
	mustStatus(t, first, http.StatusOK)
	mustStatus(t, second, http.StatusOK)
	if first.json(t)["code"] != second.json(t)["code"] {
		t.Errorf("codes differ: %s %s", first.body, second.body)
	}
	if n := e.commandCount(); n != 0 {
		t.Errorf("%d commands left, the repeat was published", n)
	}
}

func TestPairErrors(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.PairWait = 300 * time.Millisecond })
	e.create(keyA, map[string]any{"id": "s1"})
	e.nextCommand()

	for _, tc := range []struct {
		name, body, code string
		status           int
	}{
		{"invalid phone", `{"phone_number":"123"}`, "invalid_phone_number", http.StatusBadRequest},
		{"missing phone", `{}`, "invalid_phone_number", http.StatusBadRequest},
		{"empty body", ``, "invalid_request", http.StatusBadRequest},
		{"unknown field", `{"phone_number":"+6281234567890","phone":1}`, "invalid_request", http.StatusBadRequest},
		{"wrong type", `{"phone_number":6281234567890}`, "invalid_request", http.StatusBadRequest},
	} {
		r := e.call("POST", "/api/v1/sessions/s1/pair", keyA, tc.body)
		if r.status != tc.status || r.errCode() != tc.code {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
	}
	if n := e.commandCount(); n != 0 {
		t.Fatalf("bad pair input published %d commands", n)
	}

	// No worker answers: 504.
	r := e.call("POST", "/api/v1/sessions/s1/pair", keyA, `{"phone_number":"+6281234567890"}`)
	if r.status != http.StatusGatewayTimeout || r.errCode() != "pair_timeout" {
		t.Errorf("timeout: %d %s", r.status, r.body)
	}
	e.nextCommand()

	// The worker reports a failure: 422.
	worker := e.pairWorker("number is not on WhatsApp")
	r = e.call("POST", "/api/v1/sessions/s1/pair", keyA, `{"phone_number":"+6281234567890"}`)
	<-worker
	if r.status != http.StatusUnprocessableEntity || r.errCode() != "pair_failed" || !strings.Contains(string(r.body), "not on WhatsApp") {
		t.Errorf("failure: %d %s", r.status, r.body)
	}

	// Logged in already: 409, nothing published.
	e.setState(tenantA, "s1", func(st *session.State) { st.Status = session.StatusWorking })
	eventually(t, "logged in", func() bool {
		return e.call("GET", "/api/v1/sessions/s1/status", keyA, nil).json(t)["is_logged_in"] == true
	})
	r = e.call("POST", "/api/v1/sessions/s1/pair", keyA, `{"phone_number":"+6281234567890"}`)
	if r.status != http.StatusConflict || r.errCode() != "already_logged_in" {
		t.Errorf("logged in: %d %s", r.status, r.body)
	}
	mustStatus(t, e.call("POST", "/api/v1/sessions/nope/pair", keyA, `{"phone_number":"+6281234567890"}`), http.StatusNotFound)
	if n := e.commandCount(); n != 0 {
		t.Errorf("%d commands published", n)
	}
}

func TestQR(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "s1"})
	r := e.call("GET", "/api/v1/sessions/s1/qr", keyA, nil)
	mustStatus(t, r, http.StatusOK)
	if m := r.json(t); len(m["qr_codes"].([]any)) != 0 || m["status"] != "connecting" {
		t.Errorf("no qr yet: %s", r.body)
	}
	for _, f := range []string{"png", "svg"} {
		r := e.call("GET", "/api/v1/sessions/s1/qr?format="+f, keyA, nil)
		if r.status != http.StatusNotFound || r.errCode() != "qr_not_available" {
			t.Errorf("%s without qr: %d %s", f, r.status, r.body)
		}
	}
	e.setState(tenantA, "s1", func(st *session.State) { st.Status = session.StatusScanQR })
	e.putPairing(tenantA, "s1", session.Pairing{QRCodes: []string{"2@ABC123,XYZ,456", "2@DEF"}, TimeoutSeconds: 60})
	eventually(t, "qr codes", func() bool {
		m := e.call("GET", "/api/v1/sessions/s1/qr", keyA, nil).json(t)
		return len(m["qr_codes"].([]any)) == 2 && m["status"] == "waiting_for_qr"
	})
	if m := e.call("GET", "/api/v1/sessions/s1/qr", keyA, nil).json(t); m["timeout_seconds"] != 60.0 || m["qr_codes"].([]any)[0] != "2@ABC123,XYZ,456" {
		t.Errorf("qr %v", m)
	}
	png := e.call("GET", "/api/v1/sessions/s1/qr?format=png", keyA, nil)
	mustStatus(t, png, http.StatusOK)
	if png.header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(png.body, []byte("\x89PNG")) {
		t.Errorf("png: %s %q", png.header.Get("Content-Type"), png.body[:8])
	}
	svg := e.call("GET", "/api/v1/sessions/s1/qr?format=svg", keyA, nil)
	mustStatus(t, svg, http.StatusOK)
	if svg.header.Get("Content-Type") != "image/svg+xml" || !bytes.HasPrefix(svg.body, []byte("<svg")) || !bytes.Contains(svg.body, []byte(`<path`)) {
		t.Errorf("svg: %s %.80s", svg.header.Get("Content-Type"), svg.body)
	}
	r = e.call("GET", "/api/v1/sessions/s1/qr?format=gif", keyA, nil)
	if r.status != http.StatusBadRequest {
		t.Errorf("gif: %d", r.status)
	}
	// Once logged in, no QR is offered.
	e.setState(tenantA, "s1", func(st *session.State) { st.Status = session.StatusWorking })
	eventually(t, "qr gone", func() bool {
		m := e.call("GET", "/api/v1/sessions/s1/qr", keyA, nil).json(t)
		return len(m["qr_codes"].([]any)) == 0 && m["status"] == "logged_in"
	})
}
