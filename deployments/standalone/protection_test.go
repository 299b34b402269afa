package standalone_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAccountProtectionPaces sends 10 messages with account protection on
// (the default: 1 per second, burst 3, "composing" before each): they take
// at least 8 s and each is preceded by a composing chat state. With
// protection off the same 10 leave at once, without chat states.
func TestAccountProtectionPaces(t *testing.T) {
	_, a := gateway(t, t.TempDir(), "")
	link(t, a, "paced", "+15550700001")
	link(t, a, "fast", "+15550700003")
	a.must(200, "PATCH", "/api/v1/sessions/fast", map[string]any{"account_protection": false})
	const bob, carol = "+15550700002", "+15550700004"
	registerPhone(t, bob)
	registerPhone(t, carol)

	elapsed := func(session, to string) (time.Duration, []string) {
		start := time.Now()
		var ids []string
		for i := range 10 {
			ids = append(ids, a.send(session, to, "msg "+strconv.Itoa(i))["id"].(string))
		}
		for _, id := range ids {
			waitInbox(t, to, id, 60*time.Second)
		}
		took := time.Since(start)
		var order []string
		for _, m := range inbox(t, to) {
			order = append(order, m["id"].(string))
		}
		if strings.Join(order, ",") != strings.Join(ids, ",") {
			t.Fatalf("phone received %v, want the send order %v", order, ids)
		}
		return took, ids
	}

	took, ids := elapsed("paced", bob)
	if took < 8*time.Second {
		t.Fatalf("10 protected messages took %v, want ≥ 8s", took)
	}
	states := sim.ChatStates(bob)
	received := map[string]time.Time{}
	for _, m := range inbox(t, bob) {
		at, _ := time.Parse(time.RFC3339Nano, m["time"].(string))
		received[m["id"].(string)] = at
	}
	prev := time.Time{}
	for i, id := range ids {
		composing := false
		for _, cs := range states {
			if cs.From == "+15550700001" && cs.State == "composing" && cs.Time.After(prev) && cs.Time.Before(received[id]) {
				composing = true
			}
		}
		if !composing {
			t.Fatalf("message %d arrived without a composing state before it (states %v)", i, states)
		}
		prev = received[id]
	}

	took, _ = elapsed("fast", carol)
	if took > 5*time.Second {
		t.Fatalf("10 unprotected messages took %v, want no pacing", took)
	}
	if n := len(sim.ChatStates(carol)); n != 0 {
		t.Fatalf("unprotected session sent %d chat states", n)
	}
	t.Logf("protected: ≥8s as required; unprotected: %v", took)
}
