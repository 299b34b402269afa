package memlimit_test

import (
	"math"
	"runtime/debug"
	"testing"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/memlimit"
)

// restore puts the runtime settings back after a test changed them.
func restore(t *testing.T) {
	limit, gc := debug.SetMemoryLimit(-1), debug.SetGCPercent(-1)
	debug.SetGCPercent(gc)
	t.Cleanup(func() {
		debug.SetMemoryLimit(limit)
		debug.SetGCPercent(gc)
	})
}

func TestApply(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("GOGC", "")
	restore(t)
	s, err := memlimit.Apply("1.5GiB", zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(1.5 * (1 << 30)); s.Limit != want || debug.SetMemoryLimit(-1) != want || s.Source != "SWITCHBOARD_MEMORY_LIMIT" {
		t.Fatalf("limit %+v, runtime %d, want %d", s, debug.SetMemoryLimit(-1), want)
	}
	if s.GCPercent != memlimit.DefaultGCPercent {
		t.Fatalf("gc percent %d, want %d", s.GCPercent, memlimit.DefaultGCPercent)
	}

	debug.SetMemoryLimit(math.MaxInt64)
	if s, err = memlimit.Apply("off", zap.NewNop()); err != nil || s.Limit != 0 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Fatalf("off: %+v %v, runtime %d", s, err, debug.SetMemoryLimit(-1))
	}

	for _, bad := range []string{"lots", "-5MB", "12XB"} {
		if _, err := memlimit.Apply(bad, zap.NewNop()); err == nil {
			t.Errorf("Apply(%q) accepted", bad)
		}
	}

	// GOGC and GOMEMLIMIT in the environment are the operator's word.
	t.Setenv("GOGC", "200")
	t.Setenv("GOMEMLIMIT", "3GiB")
	debug.SetGCPercent(200)
	if s, err = memlimit.Apply("1GiB", zap.NewNop()); err != nil || s.Source != "GOMEMLIMIT" || s.GCPercent != 200 {
		t.Fatalf("environment overridden: %+v %v", s, err)
	}
}
