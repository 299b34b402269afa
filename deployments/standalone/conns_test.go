package standalone_test

import (
	"slices"
	"testing"
)

// TestRolesHaveTheirOwnConnections proves every role talks to NATS on a
// connection of its own, and shard ownership on one apart from the
// worker's session traffic: on one shared connection a lease renewal
// queued behind 10,000 sessions' state writes until it was fenced.
func TestRolesHaveTheirOwnConnections(t *testing.T) {
	gw, _ := gateway(t, t.TempDir(), "")
	names, err := gw.NATSConnNames()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	want := []string{"switchboard-api", "switchboard-ownership", "switchboard-scheduler", "switchboard-webhook", "switchboard-worker"}
	if !slices.Equal(names, want) {
		t.Fatalf("connections %q, want %q", names, want)
	}
}
