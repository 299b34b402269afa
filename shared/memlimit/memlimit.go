// Package memlimit sets the Go runtime's memory behaviour of a Switchboard
// process: a soft memory limit (debug.SetMemoryLimit) sized from
// SWITCHBOARD_MEMORY_LIMIT or the cgroup, and the GC percent.
//
// Why: with the default GOGC of 100 a gateway holding thousands of idle
// sessions keeps up to as much garbage as it has live heap. A limit lets the
// collector run harder only when memory is actually short, and a lower
// default GC percent trims the slack everywhere at a small CPU cost (see
// DefaultGCPercent).
package memlimit

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strings"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/dustin/go-humanize"
	"go.uber.org/zap"
)

// CgroupRatio is the share of a cgroup's memory limit given to the Go heap
// limit; the rest is left to goroutine stacks, cgo and the kernel's view of
// RSS, which the runtime limit does not fully cover.
const CgroupRatio = 0.9

// DefaultGCPercent is the GC percent set when GOGC is not in the
// environment. Measured with make bench-scale at 2,000 sessions (README,
// Memory and profiling): against 100, 50 holds 28 % less RSS per session
// after an idle window (92 against 128 KiB) for about one more GC cycle a
// minute at idle (+1.7 CPU-s per 120 s).
const DefaultGCPercent = 50

// Settings are what Apply set.
type Settings struct {
	// Limit is the soft memory limit in bytes; 0 means none.
	Limit int64
	// Source says where the limit came from: "SWITCHBOARD_MEMORY_LIMIT",
	// "GOMEMLIMIT", "cgroup" or "none".
	Source string
	// GCPercent is the GC percent in force.
	GCPercent int
}

// Apply sets the memory limit and the GC percent of this process. limit is
// SWITCHBOARD_MEMORY_LIMIT: a size ("1.5GiB", "800MB", bytes) or "off";
// empty means 90 % of the cgroup's memory limit when there is one. GOMEMLIMIT
// and GOGC in the environment, read by the runtime itself, win over both.
func Apply(limit string, log *zap.Logger) (Settings, error) {
	s := Settings{Source: "none"}
	switch {
	case os.Getenv("GOMEMLIMIT") != "":
		s.Source = "GOMEMLIMIT"
	case strings.EqualFold(limit, "off"):
	case limit != "":
		n, err := humanize.ParseBytes(limit)
		if err != nil || n > math.MaxInt64 {
			return s, fmt.Errorf("memlimit: SWITCHBOARD_MEMORY_LIMIT %q is not a size (e.g. 2GiB) or off", limit)
		}
		if n > 0 {
			debug.SetMemoryLimit(int64(n))
			s.Source = "SWITCHBOARD_MEMORY_LIMIT"
		}
	default:
		n, err := memlimit.FromCgroup()
		switch {
		case err == nil && n > 0 && n < math.MaxInt64:
			debug.SetMemoryLimit(int64(float64(n) * CgroupRatio))
			s.Source = "cgroup"
		case err != nil && !errors.Is(err, memlimit.ErrNoLimit) && !errors.Is(err, memlimit.ErrCgroupsNotSupported):
			log.Debug("cgroup memory limit unreadable", zap.Error(err))
		}
	}
	if s.Source != "none" {
		s.Limit = debug.SetMemoryLimit(-1)
	}
	s.GCPercent = GCPercent()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGCPercent)
		s.GCPercent = DefaultGCPercent
	}
	log.Info("memory settings", zap.Int64("limit_bytes", s.Limit), zap.String("limit_source", s.Source), zap.Int("gc_percent", s.GCPercent))
	return s, nil
}

// GCPercent is the process's current GC target (debug.SetGCPercent has no
// getter).
func GCPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// ReturnStartGarbage gives back what a start leaves resident and will not
// use again. Binaries call it when their start is complete: schema
// migrations, stream and bucket setup and the first reads leave megabytes
// of garbage and free heap that the GC percent alone would keep resident
// until the heap grows again, and the start's code and tables stay mapped
// from the executable (PageOutExecutable). Standalone, 0 sessions: see
// README, Memory and profiling. It costs one collection of a small heap and
// one madvise per read-only mapping of the binary.
func ReturnStartGarbage(log *zap.Logger) {
	debug.FreeOSMemory()
	debugOn := log.Core().Enabled(zap.DebugLevel)
	var before int64
	if debugOn { // /proc/self/status is read only for the debug line
		before = FileRSS()
	}
	n, err := PageOutExecutable()
	if err != nil {
		log.Debug("executable pages kept", zap.Error(err))
		return
	}
	if debugOn {
		log.Debug("start garbage returned", zap.Int("mappings_paged_out", n),
			zap.Int64("file_rss_before", before), zap.Int64("file_rss_after", FileRSS()))
	}
}
