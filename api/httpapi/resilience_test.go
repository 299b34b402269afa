package httpapi_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/api/httpapi"
	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/config"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// TestBodyTooLarge announces a 2 MiB body. The server (fasthttp) answers
// 413 from the Content-Length alone and closes the connection without
// reading the body; a client still writing the body may then lose that
// answer to a TCP reset (fasthttp has no lingering close), so the exchange
// is checked over a raw connection that sends only the headers.
func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t)
	conn, err := net.Dial("tcp", e.srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", keyA, 2<<20)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, body: body}
	if r.status != http.StatusRequestEntityTooLarge || r.errCode() != "body_too_large" {
		t.Fatalf("raw: %d %s", r.status, r.body)
	}
	if n := e.commandCount(); n != 0 {
		t.Errorf("%d commands", n)
	}
	// Within the limit is fine, and the server still answers afterwards.
	mustStatus(t, e.call("POST", "/api/v1/sessions", keyA, `{"name":"`+strings.Repeat("y", 100)+`"}`), http.StatusCreated)
}

func TestNATSDownIs503(t *testing.T) {
	e := newEnv(t)
	e.create(keyA, map[string]any{"id": "s1"})
	e.ns.Shutdown()
	for _, rt := range []struct{ method, path, body string }{
		{"POST", "/api/v1/sessions", `{"id":"s2"}`},
		{"POST", "/api/v1/sessions/s1/restart", ""},
		{"POST", "/api/v1/sessions/s1/pair", `{"phone_number":"+6281234567890"}`},
		{"DELETE", "/api/v1/sessions/s1", ""},
	} {
		var body any
		if rt.body != "" {
			body = rt.body
		}
		r := e.call(rt.method, rt.path, keyA, body)
		if r.status != http.StatusServiceUnavailable || r.errCode() != "nats_unavailable" || r.header.Get("Retry-After") != "5" {
			t.Errorf("%s %s: %d %q %s", rt.method, rt.path, r.status, r.header.Get("Retry-After"), r.body)
		}
	}
	// Reads keep answering from the mirror.
	r := e.call("GET", "/api/v1/sessions/s1", keyA, nil)
	mustStatus(t, r, http.StatusOK)
	if r.json(t)["status"] != "connecting" {
		t.Errorf("read during outage: %s", r.body)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		r := e.call("GET", path, "", nil)
		mustStatus(t, r, http.StatusServiceUnavailable)
		rep := r.json(t)
		checks, _ := rep["checks"].(map[string]any)
		if rep["ok"] != false || !strings.Contains(fmt.Sprint(rep["failed"]), "nats") ||
			!strings.HasPrefix(fmt.Sprint(checks["nats"]), "nats connection is") || r.header.Get("Retry-After") != "5" {
			t.Errorf("%s during outage: %s", path, r.body)
		}
	}
	mustStatus(t, e.call("GET", "/livez", "", nil), http.StatusOK)
	// Bad input is still a 400, not a 503.
	mustStatus(t, e.call("POST", "/api/v1/sessions", keyA, `{"id":"a.b"}`), http.StatusBadRequest)
}

// TestFailedPublishRollsBackCreate removes the command stream so that the
// publish after the KV create fails: the record is deleted again and the
// client gets a 503 it can retry.
func TestFailedPublishRollsBackCreate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.js.DeleteStream(ctx, subject.CommandStream); err != nil {
		t.Fatal(err)
	}
	r := e.call("POST", "/api/v1/sessions", keyA, `{"id":"s1","name":"Shop"}`)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "5" {
		t.Fatalf("create without stream: %d %s", r.status, r.body)
	}
	if _, ok := e.record(tenantA, "s1"); ok {
		t.Fatal("record left behind")
	}
	mustStatus(t, e.call("GET", "/api/v1/sessions/s1", keyA, nil), http.StatusNotFound)
	// Once the stream is back the same request succeeds (id and name free).
	if _, err := bus.Ensure(ctx, e.js, bus.Config{Shards: 4}); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, e.call("POST", "/api/v1/sessions", keyA, `{"id":"s1","name":"Shop"}`), http.StatusCreated)
	mustStatus(t, e.call("GET", "/api/v1/sessions/s1", keyA, nil), http.StatusOK)
}

func TestStartFailsOnBusyAddress(t *testing.T) {
	e := newEnv(t)
	other := startBus(t)
	other.startServer()
	cfg := httpapi.Config{Addr: e.srv.Addr(), AdminKey: adminKey}
	srv, err := httpapi.New(cfg, other.nc, other.js, other.b, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err == nil {
		t.Fatal("second listener on the same address started")
	}
	if err := srv.Stop(context.Background()); err != nil {
		t.Fatalf("stop after failed start: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  httpapi.Config
		ok   bool
	}{
		{"no keys", httpapi.Config{}, false},
		{"admin only", httpapi.Config{AdminKey: "k"}, true},
		{"tenant only", httpapi.Config{TenantKeys: map[string]string{"k": "acme"}}, true},
		{"bad tenant name", httpapi.Config{TenantKeys: map[string]string{"k": "a.b"}}, false},
		{"admin key reused", httpapi.Config{AdminKey: "k", TenantKeys: map[string]string{"k": "acme"}}, false},
	} {
		if err := tc.cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestFromEnvListenAddress is finding 11: the standalone binary listens on
// loopback unless told otherwise; cluster api processes keep :3000.
func TestFromEnvListenAddress(t *testing.T) {
	for _, tc := range []struct {
		env, def, want string
	}{
		{"", config.StandaloneHTTPAddr, "127.0.0.1:3000"},
		{"", config.ClusterHTTPAddr, ":3000"},
		{"0.0.0.0:8080", config.StandaloneHTTPAddr, "0.0.0.0:8080"},
	} {
		c, err := httpapi.FromEnv(config.Config{HTTPAddr: tc.env, TenantRateLimits: "acme:2"}, tc.def)
		if err != nil {
			t.Fatal(err)
		}
		if c.Addr != tc.want || c.TenantRateLimits["acme"] != 2 {
			t.Errorf("FromEnv(%q, %q): %+v", tc.env, tc.def, c)
		}
	}
}
