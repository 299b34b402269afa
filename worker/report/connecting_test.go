package report_test

import (
	"testing"

	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/report"
)

func TestNeedsConnecting(t *testing.T) {
	fence := report.Fence{Owner: "w1", Epoch: 7}
	rec := func(d session.Desired, st session.Status, lastErr string, epoch uint64) session.Record {
		return session.Record{Desired: d, State: session.State{Status: st, LastError: lastErr, Epoch: epoch, Owner: "w0"}}
	}
	run := session.DesiredRunning
	for _, c := range []struct {
		name   string
		rec    session.Record
		reason string
		want   bool
	}{
		{"working under an older owner", rec(run, session.StatusWorking, "", 3), "", true},
		{"working, stop", rec(run, session.StatusWorking, "", 7), report.ReasonWorkerStopped, true},
		{"showing a QR", rec(run, session.StatusScanQR, "", 7), report.ReasonWorkerStopped, true},
		{"already starting under this fence", rec(run, session.StatusStarting, "", 7), "", false},
		{"starting under an older fence", rec(run, session.StatusStarting, "", 3), "", true},
		{"starting after a failed connect", rec(run, session.StatusStarting, "connect: refused", 7), report.ReasonWorkerStopped, true},
		{"already marked stopped", rec(run, session.StatusStarting, report.ReasonWorkerStopped, 7), report.ReasonWorkerStopped, false},
		{"failed stays failed", rec(run, session.StatusFailed, "replaced", 7), "", false},
		{"logged out stays", rec(run, session.StatusLoggedOut, "", 7), report.ReasonWorkerStopped, false},
		{"not wanted running", rec(session.DesiredStopped, session.StatusWorking, "", 7), report.ReasonWorkerStopped, false},
	} {
		if got := report.NeedsConnecting(c.rec, fence, c.reason); got != c.want {
			t.Errorf("%s: NeedsConnecting = %v, want %v", c.name, got, c.want)
		}
	}
}
