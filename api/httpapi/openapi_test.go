package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/api/httpapi"
	"github.com/switchboard-gw/switchboard/api/openapi"
)

// pendingRoutes are documented ahead of their code (a route being built on
// another branch): tolerated while unregistered. Empty: every documented
// operation is served.
var pendingRoutes []string

var fiberParam = regexp.MustCompile(`:([A-Za-z_][A-Za-z0-9_]*)\??`)

// templateOf maps a Fiber route path to its OpenAPI template: ":id" →
// "{id}", a wildcard "*" → "{path}", no trailing slash.
func templateOf(p string) string {
	p = fiberParam.ReplaceAllString(p, "{$1}")
	p = strings.ReplaceAll(p, "*", "{path}")
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

// documented returns "METHOD /template" of every operation in the document.
func documented(t *testing.T) []string {
	t.Helper()
	raw, err := openapi.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			PathItems map[string]map[string]json.RawMessage `json:"pathItems"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for p, item := range doc.Paths {
		if ref, ok := item["$ref"]; ok {
			var r string
			_ = json.Unmarshal(ref, &r)
			item = doc.Components.PathItems[strings.TrimPrefix(r, "#/components/pathItems/")]
			if item == nil {
				t.Errorf("%s: dangling $ref %s", p, r)
			}
		}
		for m := range item {
			switch m {
			case "get", "put", "post", "delete", "patch", "head", "options":
				out = append(out, strings.ToUpper(m)+" "+p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestOpenAPICoversEveryRoute: every route Fiber registers is in the
// document, and every operation of the document is registered.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	// A server that was never started: Fiber's start-up adds HEAD routes
	// from the serving goroutine, which a concurrent read would race.
	e := startBus(t)
	srv, err := httpapi.New(httpapi.Config{Addr: "127.0.0.1:0", AdminKey: adminKey,
		TenantKeys: map[string]string{keyA: tenantA, keyB: tenantB}, Shards: 4}, e.nc, e.js, e.b, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	var registered []string
	for _, r := range srv.Routes() {
		if r.Method == http.MethodHead || r.Method == "USE" {
			continue // Fiber adds HEAD to every GET
		}
		k := r.Method + " " + templateOf(r.Path)
		if !slices.Contains(registered, k) {
			registered = append(registered, k)
		}
	}
	sort.Strings(registered)
	doc := documented(t)
	for _, r := range registered {
		if !slices.Contains(doc, r) {
			t.Errorf("route %s is not in the OpenAPI document", r)
		}
	}
	for _, d := range doc {
		if !slices.Contains(registered, d) && !slices.Contains(pendingRoutes, d) {
			t.Errorf("the OpenAPI document has %s, which no route serves", d)
		}
	}
	if len(registered) < 30 {
		t.Fatalf("only %d routes registered: %v", len(registered), registered)
	}
}

// TestDocsServed: the documents and the reference page are served without
// a key, the page's assets come from the binary, and the CSP allows only
// this origin (plus the blob worker and inline styles Redoc needs).
func TestDocsServed(t *testing.T) {
	e := newEnv(t)
	r := e.call("GET", "/openapi.json", "", nil)
	mustStatus(t, r, http.StatusOK)
	if m := r.json(t); !strings.HasPrefix(m["openapi"].(string), "3.1") || m["paths"] == nil {
		t.Fatalf("openapi.json: %.200s", r.body)
	}
	r = e.call("GET", "/asyncapi.json", "", nil)
	mustStatus(t, r, http.StatusOK)
	if m := r.json(t); m["asyncapi"] != "3.0.0" {
		t.Fatalf("asyncapi.json: %.200s", r.body)
	}
	page := e.call("GET", "/docs", "", nil)
	mustStatus(t, page, http.StatusOK)
	if !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") || !strings.Contains(string(page.body), `spec-url="/openapi.json"`) {
		t.Fatalf("docs page: %s %.300s", page.header.Get("Content-Type"), page.body)
	}
	csp := page.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "connect-src 'self'") || strings.Contains(csp, "http") {
		t.Errorf("CSP %q", csp)
	}
	for _, src := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(page.body), -1) {
		if !strings.HasPrefix(src[1], "/docs/") {
			t.Errorf("the page loads %s from outside the binary", src[1])
			continue
		}
		a := e.call("GET", src[1], "", nil)
		mustStatus(t, a, http.StatusOK)
		if len(a.body) == 0 {
			t.Errorf("%s is empty", src[1])
		}
	}
	js := e.call("GET", "/docs/"+openapi.BundleName, "", nil)
	if js.status != http.StatusOK || len(js.body) < 500_000 || !strings.Contains(js.header.Get("Content-Type"), "javascript") {
		t.Fatalf("bundle: %d %s %d bytes", js.status, js.header.Get("Content-Type"), len(js.body))
	}
	if r := e.call("GET", "/docs/nope.js", "", nil); r.status != http.StatusNotFound || r.errCode() != "not_found" {
		t.Errorf("missing asset: %d %s", r.status, r.body)
	}
	// The served JSON is the committed YAML, not a stale copy.
	raw, _ := openapi.OpenAPI()
	res, err := e.client.Get(e.base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(served) != string(raw) {
		t.Error("served /openapi.json differs from the embedded document")
	}
}
