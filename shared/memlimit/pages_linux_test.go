package memlimit_test

import (
	"testing"

	"github.com/switchboard-gw/switchboard/shared/memlimit"
)

// TestReturnStartGarbagePagesOutTheExecutable: the test binary's start
// (runtime, initialisers, the testing package) left its code and tables
// mapped; paging out must shrink what is mapped from the file, and the
// process must go on running its code.
func TestReturnStartGarbagePagesOutTheExecutable(t *testing.T) {
	before := memlimit.FileRSS()
	if before == 0 {
		t.Fatal("RssFile unreadable")
	}
	n, err := memlimit.PageOutExecutable()
	if err != nil || n == 0 {
		t.Fatalf("paged out %d mappings: %v", n, err)
	}
	after := memlimit.FileRSS()
	if after >= before {
		t.Fatalf("RssFile %d KiB before, %d KiB after paging out", before>>10, after>>10)
	}
	t.Logf("RssFile %d → %d KiB over %d mappings", before>>10, after>>10, n)
}
