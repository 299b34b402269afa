package profiling_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/profiling"
)

func TestServesPprofOnlyWhenAsked(t *testing.T) {
	off, err := profiling.Start("", zap.NewNop())
	if err != nil || off != nil {
		t.Fatalf("empty address started a server: %v %v", off, err)
	}
	if err := off.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, err := profiling.Start("127.0.0.1:0", zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + s.Addr() + "/debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "heap profile") {
		t.Fatalf("heap profile: %d %.80s", resp.StatusCode, body)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}
