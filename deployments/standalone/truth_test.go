package standalone_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/wasim"
)

// statuses returns the api's status word of each session.
func (a *api) statuses(ids []string) map[string]string {
	a.t.Helper()
	out := map[string]string{}
	for _, id := range ids {
		_, body := a.do("GET", "/api/v1/sessions/"+id+"/status", nil)
		s, _ := body["status"].(string)
		out[id] = s
	}
	return out
}

func count(m map[string]string, want string) int {
	n := 0
	for _, s := range m {
		if s == want {
			n++
		}
	}
	return n
}

// TestStatusTellsTheTruthAcrossRestarts restarts the gateway while the
// simulator holds every handshake back: the api must never show a session
// logged_in before the simulator has it logged in. A clean stop while the
// sessions are still reconnecting releases the shards at once, and the
// sessions come back once the simulator answers again.
func TestStatusTellsTheTruthAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	gw, a := gateway(t, dir, "")
	ids := []string{"truth-a", "truth-b", "truth-c"}
	for i, id := range ids {
		link(t, a, id, fmt.Sprintf("+1555060000%d", i+1))
	}
	if err := gw.Stop(context.Background()); err != nil {
		t.Fatalf("stop: %v", err)
	}
	base := int(simStats(t)["logged_in"])
	replaced := simStats(t)["replaced"]

	// The simulator holds every handshake back: nothing can log in.
	if err := sim.SetFaults(wasim.Faults{StallHandshakes: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.SetFaults(wasim.Faults{}) })
	gw, a = gateway(t, dir, "")
	// The reconnects are under way (and stalled) for a while: every read in
	// that window says connecting, none logged_in.
	until := time.Now().Add(3 * time.Second)
	for time.Now().Before(until) {
		st := a.statuses(ids)
		if n := count(st, "connecting"); n != len(ids) {
			t.Fatalf("restarted gateway with handshakes stalled shows %v, want every session connecting", st)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// SIGTERM while every session is reconnecting: the stop hands the
	// shards back before their leases could expire.
	stopped := time.Now()
	if err := gw.Stop(context.Background()); err != nil {
		t.Fatalf("stop while reconnecting: %v", err)
	}
	if took := time.Since(stopped); took >= bus.LeaseTTL {
		t.Fatalf("stop while reconnecting took %v, longer than the lease TTL (%v)", took, bus.LeaseTTL)
	}

	// Started again, still stalled: connecting; then the simulator answers
	// and the sessions log in. At every read the api shows no more sessions
	// logged_in than the simulator counts.
	_, a = gateway(t, dir, "")
	st := a.statuses(ids)
	if n := count(st, "logged_in"); n != 0 {
		t.Fatalf("second restart shows %v while handshakes stall", st)
	}
	if err := sim.SetFaults(wasim.Faults{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := a.statuses(ids)
		shown := count(st, "logged_in")
		counted := int(simStats(t)["logged_in"]) - base
		if shown > counted {
			t.Fatalf("api shows %d sessions logged_in (%v), simulator counts %d", shown, st, counted)
		}
		if shown == len(ids) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sessions not back within a minute: %v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if s := simStats(t); s["replaced"] != replaced {
		t.Fatalf("a connection was replaced: %v → %v", replaced, s["replaced"])
	}
}
