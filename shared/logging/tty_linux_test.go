package logging_test

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/switchboard-gw/switchboard/shared/logging"
)

// openPTY opens a pseudo-terminal pair and returns its terminal side.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	fd := int(ptmx.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	tty, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pts: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return tty
}

// TestAutoIsConsoleOnTerminal: with no SWITCHBOARD_LOG_FORMAT a terminal
// gets the console format, whatever else gets JSON.
func TestAutoIsConsoleOnTerminal(t *testing.T) {
	tty := openPTY(t)
	got, err := logging.Resolve("", tty)
	if err != nil || got != logging.FormatConsole {
		t.Fatalf("Resolve(\"\", tty) = %q, %v", got, err)
	}
	if got, _ := logging.Resolve(logging.FormatJSON, tty); got != logging.FormatJSON {
		t.Fatalf("explicit json on a tty = %q", got)
	}
}
