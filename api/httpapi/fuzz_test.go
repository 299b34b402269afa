package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/api/httpapi"
	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

var (
	fuzzMethods  = []string{"GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "GET"}
	fuzzPrefixes = []string{"/api/v1/sessions", "/sessions", "/v2/session"}
)

// FuzzAPI sends arbitrary methods, paths under each surface's prefix and
// bodies to the real server (a minimal worker answers pair commands): the
// answer is never a 5xx and every error is the JSON error shape. m picks
// the method (low 3 bits) and the surface (m/8 mod 3).
func FuzzAPI(f *testing.F) {
	for _, s := range []struct {
		m    uint8
		path string
		body string
	}{
		{1, "", `{"id":"a1","name":"n","webhook":{"url":"https://x.example/h","events":["message"],"secret":"s"}}`},
		{1, "", `{"id":"fz"}`},
		{1, "", `{"id":"a.b"}`},
		{1, "", `{"phone_number":"+6281234567890","account_protection":false,"message_logging":true,"proxy":"socks5://u:p@h:1"}`},
		{1, "", `{"id":`},
		{1, "", `{"id":1e999}`},
		{1, "", `{"webhook":{"url":"http://[::1"}}`},
		{1, "", "\xff\xfe"},
		{1, "", `[]`},
		{1, "", `null`},
		{1, "/fz/pair", `{"phone_number":"+6281234567890","show_push_notification":true}`},
		{1, "/fz/pair", `{"phone_number":"+"}`},
		{1, "/fz/pair", `{"phone_number":"` + "9999999999999999999999999999999999" + `"}`},
		{1, "/fz/restart", ``},
		{1, "/fz/connect", `garbage`},
		{1, "/fz/logout", ``},
		{0, "", ``},
		{0, "?limit=99999999999999999999&offset=-0", ``},
		{0, "/fz", ``},
		{0, "/fz/qr?format=svg", ``},
		{0, "/fz/qr?format=png", ``},
		{0, "/fz/device", ``},
		{0, "/%00", ``},
		{0, "/..%2f..%2f", ``},
		{2, "/fz", ``},
		{3, "/fz", `{}`},
		{9, "", `{"sessionName":"w","phoneNumber":"+14155552671","enableWebhook":1,"webhookUrl":"https://x.example"}`},
		{9, "", `{"sessionName":"w","phoneNumber":"+14155552671","enableAccountProtection":2}`},
		{8, "/fz", ``},
		{9, "/fz/restart", ``},
		{16, "/info?instance_id=fz&access_token=" + keyA, ``},
		{17, "/restart", `{"instance_id":"fz","access_token":"` + keyA + `"}`},
		{17, "/start", `{"instance_id":1}`},
		// Finding 10: null, duplicates, case, control characters, Wawp
		// bodies without a key.
		{1, "", `null`},
		{1, "", `{"id":"x7","ID":"x8"}`},
		{1, "", `{"id":"d1","id":"d2"}`},
		{1, "", `{"name":"bell\u0007"}`},
		{1, "", `{"name":"x\u202Ey"}`},
		{1, "", `{"webhook":{"url":"https://x.example","events":["nope"]}}`},
		{1, "", `{"account_protection":"yes"}`},
		{9, "", `{"sessionName":"w","phoneNumber":"+14155552671","enableWebhook":false,"webhookUrl":"bad"}`},
		{17, "/restart", `{"instance_id":`},
		{17, "/restart", `{"instance_id":"fz","access_token":"wrong"}`},
	} {
		f.Add(s.m, s.path, []byte(s.body))
	}
	e := newEnv(f, func(c *httpapi.Config) { c.PairWait = 10 * time.Second })
	e.create(keyA, map[string]any{"id": "fz"})
	e.setState(tenantA, "fz", func(st *session.State) { st.Status = session.StatusScanQR })
	e.putPairing(tenantA, "fz", session.Pairing{QRCodes: []string{"2@fuzz"}})
	cc, err := e.consumer().Consume(func(m jetstream.Msg) {
		_ = m.Ack()
		cmd, err := command.Decode(m.Data())
		if err == nil && cmd.Verb == command.Pair {
			// Not e.putPairing: this runs outside the fuzz target's goroutine.
			body, _ := json.Marshal(session.Pairing{Code: "FUZZ-CODE", Command: cmd.ID})
			_, _ = e.b.Pairing.Put(context.Background(), subject.SessionKey(cmd.Tenant, cmd.Session), body)
		}
		if err == nil && cmd.Verb == command.Delete {
			_ = e.b.Sessions.Delete(context.Background(), subject.SessionKey(cmd.Tenant, cmd.Session))
		}
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(cc.Stop)

	f.Fuzz(func(t *testing.T, m uint8, path string, body []byte) {
		method := fuzzMethods[int(m)%len(fuzzMethods)]
		prefix := fuzzPrefixes[int(m/8)%len(fuzzPrefixes)]
		req, err := http.NewRequest(method, e.base+prefix+path, bytes.NewReader(body))
		if err != nil {
			t.Skip()
		}
		req.Header.Set("Authorization", "Bearer "+keyA)
		req.Header.Set("Content-Type", "application/json")
		res, err := e.client.Do(req)
		if err != nil {
			t.Fatalf("%s %q: %v", method, path, err)
		}
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(res.Body)
		res.Body.Close()
		r := resp{status: res.StatusCode, header: res.Header, body: buf.Bytes()}
		if r.status >= 500 {
			t.Fatalf("%s %q %q: %d %s", method, path, body, r.status, r.body)
		}
		if r.status >= 400 && method != "HEAD" && r.errCode() == "" {
			t.Fatalf("%s %q: %d without JSON error: %q", method, path, r.status, r.body)
		}
	})
}
