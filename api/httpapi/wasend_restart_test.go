package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// TestWASendRestartRules walks POST /sessions/{id}/restart through every
// internal status: a stopped or failed session restarts (200, the session
// as the command leaves it: STARTING), a running one is refused with 409
// session_running, keeps its desired state and publishes no command.
func TestWASendRestartRules(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		status session.Status
		code   int
	}{
		{session.StatusCreated, http.StatusOK},
		{session.StatusStopped, http.StatusOK},
		{session.StatusFailed, http.StatusOK},
		{session.StatusLoggedOut, http.StatusOK}, // WASend STOPPED
		{session.StatusStarting, http.StatusConflict},
		{session.StatusConnected, http.StatusConflict}, // WASend STARTING
		{session.StatusScanQR, http.StatusConflict},
		{session.StatusPairCode, http.StatusConflict}, // WASend SCAN_QR_CODE
		{session.StatusWorking, http.StatusConflict},
	} {
		t.Run(string(tc.status), func(t *testing.T) {
			r := e.call("POST", "/sessions", keyA, `{"sessionName":"restart-`+string(tc.status)+`","phoneNumber":"+14155552671"}`)
			mustStatus(t, r, http.StatusCreated)
			id := r.json(t)["uniqueSessionId"].(string)
			e.setState(tenantA, id, func(st *session.State) { st.Status = tc.status })
			eventually(t, "status mirrored", func() bool {
				return e.call("GET", "/sessions/"+id, keyA, nil).json(t)["status"] == tc.status.WASend()
			})
			before := e.commandCount()

			r = e.call("POST", "/sessions/"+id+"/restart", keyA, nil)
			if r.status != tc.code {
				t.Fatalf("restart %s: %d %s, want %d", tc.status, r.status, r.body, tc.code)
			}
			rec, _ := e.record(tenantA, id)
			if tc.code == http.StatusConflict {
				if r.errCode() != "session_running" || r.json(t)["error"].(map[string]any)["message"] == "" {
					t.Fatalf("409 body %s", r.body)
				}
				if n := e.commandCount(); n != before {
					t.Fatalf("refused restart published %d commands", n-before)
				}
				if rec.Desired != session.DesiredStopped {
					t.Fatalf("refused restart changed desired to %s", rec.Desired)
				}
				return
			}
			m := r.json(t)
			if m["status"] != "STARTING" || m["uniqueSessionId"] != id || m["sessionName"] != "restart-"+string(tc.status) {
				t.Fatalf("200 body %s", r.body)
			}
			if n := e.commandCount(); n != before+1 {
				t.Fatalf("restart published %d commands, want 1", n-before)
			}
			if cmd := e.nextCommand(); cmd.Verb != command.Restart || cmd.Session != id {
				t.Fatalf("published %+v", cmd)
			}
			if rec.Desired != session.DesiredRunning {
				t.Fatalf("desired %s after restart", rec.Desired)
			}
		})
	}
	// The operator's /api/v1 restart works on a running session.
	e.create(keyA, map[string]any{"id": "op"})
	e.nextCommand()
	e.setState(tenantA, "op", func(st *session.State) { st.Status = session.StatusWorking })
	mustStatus(t, e.call("POST", "/api/v1/sessions/op/restart", keyA, nil), http.StatusOK)
	if cmd := e.nextCommand(); cmd.Verb != command.Restart {
		t.Fatalf("v1 restart published %+v", cmd)
	}
}
