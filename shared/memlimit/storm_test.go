package memlimit

import (
	"runtime/debug"
	"testing"
)

// TestStormRaisesAndRestores: a storm raises the GC target, nested storms
// keep it raised until the last ends, the end restores the target; an
// operator's GOGC and a target already above the storm's are left alone.
func TestStormRaisesAndRestores(t *testing.T) {
	t.Setenv("GOGC", "")
	old := debug.SetGCPercent(DefaultGCPercent)
	defer debug.SetGCPercent(old)

	BeginStorm()
	if got := GCPercent(); got != StormGCPercent {
		t.Fatalf("during a storm: GC percent %d, want %d", got, StormGCPercent)
	}
	BeginStorm()
	if EndStorm() {
		t.Fatal("the inner of two storms reported the target restored")
	}
	if got := GCPercent(); got != StormGCPercent {
		t.Fatalf("after the inner of two storms: GC percent %d, want %d", got, StormGCPercent)
	}
	if !EndStorm() {
		t.Fatal("the last storm's end did not report the target restored")
	}
	if got := GCPercent(); got != DefaultGCPercent {
		t.Fatalf("after the storm: GC percent %d, want %d", got, DefaultGCPercent)
	}
	EndStorm() // unmatched: no effect
	if got := GCPercent(); got != DefaultGCPercent {
		t.Fatalf("after an unmatched end: GC percent %d, want %d", got, DefaultGCPercent)
	}

	debug.SetGCPercent(400)
	BeginStorm()
	if got := GCPercent(); got != 400 {
		t.Fatalf("a target above the storm's was changed to %d", got)
	}
	EndStorm()
	if got := GCPercent(); got != 400 {
		t.Fatalf("after the storm: GC percent %d, want 400", got)
	}

	debug.SetGCPercent(DefaultGCPercent)
	t.Setenv("GOGC", "80")
	BeginStorm()
	if got := GCPercent(); got != DefaultGCPercent {
		t.Fatalf("with GOGC set, a storm changed the GC percent to %d", got)
	}
	EndStorm()
}
