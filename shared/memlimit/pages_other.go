//go:build !linux

package memlimit

// PageOutExecutable does nothing outside Linux.
func PageOutExecutable() (int, error) { return 0, nil }

// FileRSS is 0 outside Linux.
func FileRSS() int64 { return 0 }
