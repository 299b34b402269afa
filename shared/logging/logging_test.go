package logging_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/logging"
)

// logTo builds a logger writing to a file, logs one line at info and one
// at debug, and returns what the file holds.
func logTo(t *testing.T, cfg logging.Config) string {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg.Out = f
	log, err := logging.Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("lease renewed", zap.Int("shard", 7))
	log.Debug("quiet detail")
	_ = log.Sync()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		name, format string
		json         bool
	}{
		{"auto on a file is json", "", true},
		{"json", logging.FormatJSON, true},
		{"console", logging.FormatConsole, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := logTo(t, logging.Config{Level: "info", Format: tc.format})
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 1 {
				t.Fatalf("want one line at info, got %q", out)
			}
			var m map[string]any
			isJSON := json.Unmarshal([]byte(lines[0]), &m) == nil
			if isJSON != tc.json {
				t.Fatalf("json = %v, want %v: %q", isJSON, tc.json, lines[0])
			}
			if isJSON && (m["msg"] != "lease renewed" || m["level"] != "info" || m["shard"] != float64(7)) {
				t.Fatalf("json line = %v", m)
			}
			if !isJSON && (!strings.Contains(lines[0], "INFO") || !strings.Contains(lines[0], "lease renewed") ||
				!strings.Contains(lines[0], `{"shard": 7}`) || strings.Contains(lines[0], "\x1b[")) {
				t.Fatalf("console line = %q", lines[0])
			}
		})
	}
}

func TestLevel(t *testing.T) {
	out := logTo(t, logging.Config{Level: "debug", Format: logging.FormatJSON})
	if !strings.Contains(out, "quiet detail") {
		t.Fatalf("debug line missing at level debug: %q", out)
	}
	if _, err := logging.Build(logging.Config{Level: "loud"}); err == nil {
		t.Fatal("level loud accepted")
	}
	if _, err := logging.Build(logging.Config{Format: "xml"}); err == nil {
		t.Fatal("format xml accepted")
	}
}

func TestResolveOnNonTerminal(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for in, want := range map[string]string{"": "json", "json": "json", "console": "console"} {
		got, err := logging.Resolve(in, f)
		if err != nil || got != want {
			t.Errorf("Resolve(%q, /dev/null) = %q, %v; want %q", in, got, err, want)
		}
	}
}
