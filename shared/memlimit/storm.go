package memlimit

import (
	"os"
	"runtime/debug"
	"sync"
)

// StormGCPercent is the GC target while a worker logs thousands of
// sessions in at once (a restart, a takeover after a crash). At the
// default of 50 the collector ran every few megabytes of the storm's
// allocation: 18 % of a restarting gateway's CPU went to marking (CPU
// profile, 3,000 sessions). 200 lets the heap grow to three times what is
// live for those seconds; the memory limit still bounds it, and the end of
// the storm returns the extra heap to the operating system.
const StormGCPercent = 200

// storm is the process's storm state: the GC target is process-wide.
var storm struct {
	mu     sync.Mutex
	depth  int
	raised bool
	normal int
}

// BeginStorm raises the GC target to StormGCPercent until the matching
// EndStorm (storms nest). An operator's GOGC is left alone, and so is a
// target already at or above StormGCPercent (or off).
func BeginStorm() {
	storm.mu.Lock()
	defer storm.mu.Unlock()
	storm.depth++
	if storm.depth > 1 || os.Getenv("GOGC") != "" {
		return
	}
	storm.normal = debug.SetGCPercent(StormGCPercent)
	storm.raised = storm.normal >= 0 && storm.normal < StormGCPercent
	if !storm.raised {
		debug.SetGCPercent(storm.normal)
	}
}

// EndStorm ends a BeginStorm; the last one puts the GC target back and
// reports whether it had been raised (then ReturnStormGarbage gives the
// storm's extra heap back).
func EndStorm() bool {
	storm.mu.Lock()
	defer storm.mu.Unlock()
	if storm.depth == 0 {
		return false
	}
	storm.depth--
	if storm.depth > 0 || !storm.raised {
		return false
	}
	debug.SetGCPercent(storm.normal)
	storm.raised = false
	return true
}

// ReturnStormGarbage collects once and returns every free page to the
// operating system: what a storm's raised target let the heap grow to
// would otherwise stay resident (one collection of the live heap).
func ReturnStormGarbage() { debug.FreeOSMemory() }
