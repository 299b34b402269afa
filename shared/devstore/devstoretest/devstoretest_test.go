package devstoretest_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
)

// recorder is a testing.TB that records how PostgresURL gave up.
type recorder struct {
	testing.TB
	fatal, skipped bool
	msg            string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestUnreachablePostgresFails: a Postgres that does not answer fails the
// test (it used to skip it, so `make test` passed without Postgres), and
// the message does not print the password.
func TestUnreachablePostgresFails(t *testing.T) {
	t.Setenv("SWITCHBOARD_TEST_POSTGRES_URL", "postgres://postgres:hunter2@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2")
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		devstoretest.PostgresURL(r)
	}()
	<-done
	if !r.fatal || r.skipped {
		t.Fatalf("fatal = %v, skipped = %v (%s); want a failure", r.fatal, r.skipped, r.msg)
	}
	if !strings.Contains(r.msg, "postgres unreachable") || strings.Contains(r.msg, "hunter2") {
		t.Fatalf("message %q", r.msg)
	}
}
