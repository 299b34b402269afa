package standalone_test

import (
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/config"
)

// TestRestartStormOneConnect is finding 6's restart storm end to end: 200
// restarts of one linked session with account protection on used to make
// dozens of connections to WhatsApp (28 of 200); now the api coalesces
// them into one command and the simulator sees at most a couple of
// handshakes.
func TestRestartStormOneConnect(t *testing.T) {
	_, a := gateway(t, t.TempDir(), "", func(c *config.Config) { c.SessionConnectInterval = 30 * time.Second })
	link(t, a, "storm", "+15550400001")
	before := simStats(t)["handshakes"]

	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[string]bool{}
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, out := a.do("POST", "/api/v1/sessions/storm/restart", nil)
			mu.Lock()
			defer mu.Unlock()
			if code != 200 {
				t.Errorf("restart: %d %v", code, out)
				return
			}
			ids[out["command_id"].(string)] = true
		}()
	}
	wg.Wait()
	// Commands of one session apply in order: once the disconnect that
	// follows the storm is applied, every restart before it was too.
	stop := a.must(200, "POST", "/api/v1/sessions/storm/disconnect", nil)["command_id"].(string)
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, st := a.do("GET", "/api/v1/sessions/storm/status", nil)
		if st["last_command_id"] == stop {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("disconnect not applied: %v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	connects := simStats(t)["handshakes"] - before
	t.Logf("200 restarts: %d distinct commands, %v handshakes with the simulator", len(ids), connects)
	if len(ids) != 1 || connects > 2 {
		t.Fatalf("200 restarts made %d commands and %v connections, want 1 and ≤ 2", len(ids), connects)
	}
}
