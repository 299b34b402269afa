package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/api/httpapi"
)

// replica starts a second api Server on the same NATS (as a second api
// process would be) and returns an env whose calls go to it.
func (e *env) replica(tweak ...func(*httpapi.Config)) *env {
	e.t.Helper()
	r := &env{t: e.t, ns: e.ns, nc: e.nc, js: e.js, b: e.b}
	r.startServer(tweak...)
	return r
}

// newKey creates a managed key as the admin and returns the answer.
func (e *env) newKey(body map[string]any) map[string]any {
	e.t.Helper()
	r := e.call("POST", "/api/v1/admin/keys", adminKey, body)
	mustStatus(e.t, r, http.StatusCreated)
	return r.json(e.t)
}

// TestManagedKeyLifecycle is finding 5: a key made on one replica works on
// another, is stored only as a hash, is listed without its secret, and
// once revoked is refused by both replicas within 2 s.
func TestManagedKeyLifecycle(t *testing.T) {
	a := newEnv(t)
	b := a.replica()

	k := a.newKey(map[string]any{"tenant": "newco", "name": "ci deploys", "scopes": []string{"sessions:read", "sessions:write"}})
	secret, _ := k["key"].(string)
	id, _ := k["id"].(string)
	if !strings.HasPrefix(secret, "sb_") || len(secret) < 3+43 || id == "" || k["tenant"] != "newco" || k["session"] != nil {
		t.Fatalf("create answer %v", k)
	}
	if _, ok := k["created_at"].(float64); !ok {
		t.Fatalf("created_at: %v", k)
	}
	// A tenant never seen before exists now: the key acts as it.
	mustStatus(t, a.call("POST", "/api/v1/sessions", secret, map[string]any{"id": "n1"}), http.StatusCreated)
	eventually(t, "the key on the second replica", func() bool {
		return b.call("GET", "/api/v1/sessions/n1", secret, nil).status == http.StatusOK
	})
	if r := a.call("GET", "/api/v1/sessions/n1", keyA, nil); r.status != http.StatusNotFound {
		t.Errorf("other tenant sees newco's session: %d", r.status)
	}

	// Only the hash is stored.
	entry, err := a.b.Keys.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(entry.Value()), secret) || strings.Contains(string(entry.Value()), secret[3:]) || !strings.Contains(string(entry.Value()), `"hash"`) {
		t.Fatalf("stored record holds the secret or no hash: %s", entry.Value())
	}
	// Listing shows metadata only.
	list := b.call("GET", "/api/v1/admin/keys", adminKey, nil)
	mustStatus(t, list, http.StatusOK)
	if strings.Contains(string(list.body), secret) || strings.Contains(string(list.body), `"hash"`) || !strings.Contains(string(list.body), id) {
		t.Fatalf("list: %s", list.body)
	}

	// Revoke on replica a: both refuse within 2 s.
	mustStatus(t, a.call("DELETE", "/api/v1/admin/keys/"+id, adminKey, nil), http.StatusOK)
	t0 := time.Now()
	for _, rep := range []*env{a, b} {
		for rep.call("GET", "/api/v1/sessions", secret, nil).status != http.StatusUnauthorized {
			if time.Since(t0) > 2*time.Second {
				t.Fatalf("revoked key still accepted after %v", time.Since(t0))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	t.Logf("revocation seen by both replicas after %v", time.Since(t0))
	if r := a.call("DELETE", "/api/v1/admin/keys/"+id, adminKey, nil); r.status != http.StatusNotFound || r.errCode() != "key_not_found" {
		t.Errorf("second revoke: %d %s", r.status, r.body)
	}
	if _, err := a.b.Keys.Get(context.Background(), id); err != jetstream.ErrKeyNotFound {
		t.Errorf("revoked key still in the bucket: %v", err)
	}
}

// TestScopes: a key without the scope a route needs gets 403 forbidden;
// only admin keys reach /api/v1/admin.
func TestScopes(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "s1"})
	ro := e.newKey(map[string]any{"tenant": tenantA, "name": "dashboard", "scopes": []string{"sessions:read"}})["key"].(string)
	for _, tc := range []struct {
		method, path, key string
		body              any
		want              int
	}{
		{"GET", "/api/v1/sessions", ro, nil, 200},
		{"GET", "/api/v1/sessions/s1/status", ro, nil, 200},
		{"GET", "/sessions", ro, nil, 200},
		{"GET", "/v2/session/info?instance_id=s1&access_token=" + ro, "", nil, 200},
		{"POST", "/v2/session/info?instance_id=s1&access_token=" + ro, "", nil, 200},
		{"POST", "/api/v1/sessions", ro, map[string]any{"id": "s2"}, 403},
		{"POST", "/api/v1/sessions/s1/restart", ro, nil, 403},
		{"DELETE", "/api/v1/sessions/s1", ro, nil, 403},
		{"POST", "/sessions/s1/stop", ro, nil, 403},
		{"POST", "/v2/session/restart?instance_id=s1&access_token=" + ro, "", nil, 403},
		{"GET", "/api/v1/admin/keys", ro, nil, 403},
		{"GET", "/api/v1/admin/keys", keyA, nil, 403}, // env tenant keys are not admin
		{"POST", "/api/v1/admin/keys", keyA, map[string]any{"tenant": tenantA, "name": "x", "scopes": []string{"admin"}}, 403},
		{"GET", "/api/v1/admin/keys", adminKey, nil, 200},
	} {
		r := e.call(tc.method, tc.path, tc.key, tc.body)
		if r.status != tc.want || (tc.want == 403 && r.errCode() != "forbidden") {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, r.status, r.body, tc.want)
		}
	}
	if n := e.commandCount(); n != 1 { // the create's start only
		t.Errorf("forbidden requests published commands: %d", n)
	}
	// A managed admin key is an operator key too.
	adm := e.newKey(map[string]any{"tenant": "ops", "name": "rotation", "scopes": []string{"admin"}})["key"].(string)
	mustStatus(t, e.call("GET", "/api/v1/admin/keys", adm, nil), http.StatusOK)
	if r := e.call("GET", "/api/v1/sessions", adm, nil); r.status != http.StatusForbidden {
		t.Errorf("admin-only key read sessions: %d", r.status)
	}
}

// TestSessionScopedToken: a key bound to one session sees and acts on that
// session only, on every surface (Wawp's access_token included).
func TestSessionScopedToken(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "mine"})
	e.create(keyA, map[string]any{"id": "other"})
	tok := e.newKey(map[string]any{"tenant": tenantA, "name": "customer 42", "session": "mine",
		"scopes": []string{"sessions:read", "sessions:write"}})
	if tok["session"] != "mine" {
		t.Fatalf("answer %v", tok)
	}
	k := tok["key"].(string)
	list := e.call("GET", "/api/v1/sessions", k, nil).json(t)
	if list["total"] != float64(1) || len(list["sessions"].([]any)) != 1 {
		t.Errorf("list: %v", list)
	}
	if r := e.call("GET", "/sessions", k, nil); !strings.Contains(string(r.body), `"mine"`) || strings.Contains(string(r.body), `"other"`) {
		t.Errorf("WASend list: %s", r.body)
	}
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/api/v1/sessions/mine", 200},
		{"POST", "/api/v1/sessions/mine/restart", 200},
		{"GET", "/api/v1/sessions/other", 404},
		{"POST", "/api/v1/sessions/other/restart", 404},
		{"DELETE", "/api/v1/sessions/other", 404},
		{"GET", "/sessions/other", 404},
		{"POST", "/api/v1/sessions", 403},
		{"GET", "/v2/session/info?instance_id=mine&access_token=" + k, 200},
		{"GET", "/v2/session/info?instance_id=other&access_token=" + k, 404},
	} {
		key := k
		if strings.Contains(tc.path, "access_token") {
			key = ""
		}
		var body any
		if tc.method == "POST" && tc.path == "/api/v1/sessions" {
			body = map[string]any{"id": "third"}
		}
		if r := e.call(tc.method, tc.path, key, body); r.status != tc.want {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, r.status, r.body, tc.want)
		}
	}
	r := e.call("POST", "/v2/session/stop", "", map[string]any{"instance_id": "mine", "access_token": k})
	mustStatus(t, r, http.StatusOK)
	if rec, _ := e.record(tenantA, "other"); rec.Desired != "running" {
		t.Errorf("other session touched: %+v", rec)
	}
	// A session-bound key cannot be an admin key.
	bad := e.call("POST", "/api/v1/admin/keys", adminKey, map[string]any{"tenant": tenantA, "name": "x", "session": "mine", "scopes": []string{"admin"}})
	if bad.status != http.StatusBadRequest || !strings.Contains(string(bad.body), "scopes") {
		t.Errorf("bound admin key: %d %s", bad.status, bad.body)
	}
}

// TestKeyRequestValidation: every refused key request names its field.
func TestKeyRequestValidation(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ body, field string }{
		{`{"tenant":"_system","name":"n","scopes":["admin"]}`, "tenant"},
		{`{"tenant":"a.b","name":"n","scopes":["admin"]}`, "tenant"},
		{`{"tenant":"acme","name":"bell\u0007","scopes":["admin"]}`, "name"},
		{`{"tenant":"acme","name":"","scopes":["admin"]}`, "name"},
		{`{"tenant":"acme","name":"n","scopes":[]}`, "scopes"},
		{`{"tenant":"acme","name":"n","scopes":["root"]}`, "scopes"},
		{`{"tenant":"acme","name":"n","scopes":["admin"],"session":"a b"}`, "session"},
		{`{"tenant":"acme","name":"n","scopes":["admin"],"Tenant":"x"}`, "Tenant"},
		{`null`, "object"},
	} {
		r := e.call("POST", "/api/v1/admin/keys", adminKey, tc.body)
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), tc.field) {
			t.Errorf("%s: %d %s", tc.body, r.status, r.body)
		}
	}
	if r := e.call("GET", "/api/v1/admin/keys", adminKey, nil); r.json(t)["total"] != float64(0) {
		t.Errorf("refused requests made keys: %s", r.body)
	}
}

// TestStartTLS: with a certificate the api serves HTTPS only.
func TestStartTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	e := newEnv(t, func(c *httpapi.Config) { c.TLSCertFile, c.TLSKeyFile = certFile, keyFile })
	if !strings.HasPrefix(e.srv.URL(), "https://") {
		t.Fatalf("URL %s", e.srv.URL())
	}
	if res, err := e.client.Get(e.base + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Fatal("plain http answered on the TLS listener")
		}
	}
	c := tlsClient(pool)
	res, err := c.Get(e.srv.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("https healthz: %d", res.StatusCode)
	}
	// A missing certificate fails Start, not the first request.
	bad := httpapi.Config{Addr: "127.0.0.1:0", AdminKey: adminKey, TLSCertFile: certFile + ".missing", TLSKeyFile: keyFile}
	srv, err := httpapi.New(bad, e.nc, e.js, e.b, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err == nil {
		t.Fatal("started without its certificate")
	}
	_ = srv.Stop(context.Background())
}
