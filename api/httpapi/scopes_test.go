package httpapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/api/keys"
	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
)

// TestEveryRouteHasAScope lists every registered route of the three
// surfaces with the scope it needs, and checks the rules: reads need
// sessions:read, changes sessions:write, /api/v1/admin admin, and a POST
// to …/messages messages:send.
func TestEveryRouteHasAScope(t *testing.T) {
	_, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Ensure(ctx, js, bus.Config{Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{AdminKey: "admin-key-0123456789"}, nc, js, b, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]keys.Scope{
		"GET /api/v1/sessions/":              keys.SessionsRead,
		"POST /api/v1/sessions/":             keys.SessionsWrite,
		"POST /api/v1/sessions/:id/pair":     keys.SessionsWrite,
		"DELETE /sessions/:id":               keys.SessionsWrite,
		"GET /v2/session/info":               keys.SessionsRead,
		"POST /v2/session/info":              keys.SessionsRead,
		"POST /v2/session/delete":            keys.SessionsWrite,
		"POST /api/v1/admin/keys/":           keys.Admin,
		"GET /api/v1/admin/keys/":            keys.Admin,
		"DELETE /api/v1/admin/keys/:id":      keys.Admin,
		"POST /api/v1/sessions/:id/messages": keys.MessagesSend,
	}
	seen := 0
	for _, r := range s.app.GetRoutes(true) {
		if r.Method == "HEAD" || r.Path == "/healthz" {
			continue
		}
		sc := requiredScope(r.Method, r.Path)
		t.Logf("%-7s %-40s %s", r.Method, r.Path, sc)
		if !sc.Valid() {
			t.Errorf("%s %s: no scope", r.Method, r.Path)
		}
		if strings.HasPrefix(r.Path, AdminPrefix) != (sc == keys.Admin) {
			t.Errorf("%s %s: scope %s", r.Method, r.Path, sc)
		}
		if w, ok := want[r.Method+" "+r.Path]; ok {
			seen++
			if sc != w {
				t.Errorf("%s %s: scope %s, want %s", r.Method, r.Path, sc, w)
			}
		}
	}
	if seen < len(want)-1 { // the messages route belongs to another change
		t.Errorf("only %d of the expected routes registered", seen)
	}
	if sc := requiredScope("POST", "/api/v1/sessions/:id/messages"); sc != keys.MessagesSend {
		t.Errorf("send route scope %s", sc)
	}
}
