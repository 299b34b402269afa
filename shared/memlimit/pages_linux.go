package memlimit

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

const (
	// madvRandom is MADV_RANDOM: no readahead when a page is read back.
	madvRandom = 1
	// madvPageout is MADV_PAGEOUT (Linux 5.4): reclaim the given pages now.
	madvPageout = 21
)

// PageOutExecutable asks the kernel to reclaim the pages of this process's
// executable that are mapped read-only: code, read-only data and the
// function tables. A start runs some 500 package initialisers, schema
// migrations and the first requests, spread over the whole binary, and the
// kernel maps every fault with its neighbours, so a gateway that is up holds
// ~33 MiB of its own file it will not touch again (README, Memory and
// profiling). Reclaimed pages leave the page cache unless another process
// maps them; what the process still runs is read back on its next touch.
// The writable data segment is never touched. It returns how many mappings
// it advised.
func PageOutExecutable() (int, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, fmt.Errorf("memlimit: executable path: %w", err)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, fmt.Errorf("memlimit: read mappings: %w", err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		lo, hi, ok := readOnlyMapping(sc.Text(), exe)
		if !ok {
			continue
		}
		for _, advice := range []uintptr{madvRandom, madvPageout} {
			if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, advice); errno != 0 {
				return n, fmt.Errorf("memlimit: madvise %d: %w", advice, errno)
			}
		}
		n++
	}
	return n, nil
}

// readOnlyMapping parses one /proc/self/maps line and reports the address
// range when it maps path without write permission.
func readOnlyMapping(line, path string) (lo, hi uintptr, ok bool) {
	f := strings.Fields(line)
	if len(f) < 6 || strings.Join(f[5:], " ") != path || len(f[1]) < 2 || f[1][1] == 'w' {
		return 0, 0, false
	}
	from, to, found := strings.Cut(f[0], "-")
	a, errA := strconv.ParseUint(from, 16, 64)
	b, errB := strconv.ParseUint(to, 16, 64)
	if !found || errA != nil || errB != nil || b <= a {
		return 0, 0, false
	}
	return uintptr(a), uintptr(b), true
}

// FileRSS is the process's file-backed resident memory in bytes (RssFile
// in /proc/self/status), 0 when unknown.
func FileRSS() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
