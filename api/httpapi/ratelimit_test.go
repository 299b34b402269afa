package httpapi_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/api/httpapi"
	"github.com/switchboard-gw/switchboard/shared/command"
)

// TestKeyRateLimit is finding 6's per-key limit: 429 with Retry-After and
// X-RateLimit-* headers, per key, configurable per tenant.
func TestKeyRateLimit(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) {
		c.RateLimit, c.RateBurst = 0.5, 3
		c.TenantRateLimits = map[string]float64{tenantB: 0}
	})
	for i := range 3 {
		r := e.call("GET", "/api/v1/sessions", keyA, nil)
		mustStatus(t, r, http.StatusOK)
		if r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) || r.header.Get("X-RateLimit-Reset") == "" {
			t.Errorf("request %d headers %v", i, r.header)
		}
	}
	r := e.call("POST", "/api/v1/sessions", keyA, map[string]any{"id": "limited"})
	if r.status != http.StatusTooManyRequests || r.errCode() != "rate_limited" {
		t.Fatalf("4th request: %d %s", r.status, r.body)
	}
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 2 {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	if r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("429 headers %v", r.header)
	}
	if _, ok := e.record(tenantA, "limited"); ok {
		t.Error("a refused request created a session")
	}
	// Other keys have their own buckets; tenant beta is unlimited.
	mustStatus(t, e.call("GET", "/api/v1/sessions", adminKey, nil), http.StatusOK)
	for range 20 {
		mustStatus(t, e.call("GET", "/api/v1/sessions", keyB, nil), http.StatusOK)
	}
	// The bucket refills: 0.5/s gives a request back within ~2 s.
	eventually(t, "a refilled token", func() bool { return e.call("GET", "/api/v1/sessions", keyA, nil).status == http.StatusOK })
}

// TestFailedAuthPerIP: 1,000 wrong-key requests used to be 1,000 cheap
// 401s (key guessing at full speed); now an address that fails too often
// gets 429 before its key is looked at.
func TestFailedAuthPerIP(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.AuthFailLimit = 10 })
	codes := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 125 {
				req, _ := http.NewRequest("GET", e.base+"/api/v1/sessions", nil)
				req.Header.Set("Authorization", fmt.Sprintf("Bearer guess-%d-%d", w, i))
				if i%2 == 0 { // the Wawp surface counts too
					req, _ = http.NewRequest("GET", e.base+fmt.Sprintf("/v2/session/info?instance_id=x&access_token=guess-%d-%d", w, i), nil)
				}
				res, err := e.client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				mu.Lock()
				codes[res.StatusCode]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("1000 wrong-key requests: %v", codes)
	if codes[http.StatusTooManyRequests] < 950 || codes[http.StatusUnauthorized] > 50 || codes[http.StatusUnauthorized]+codes[http.StatusTooManyRequests] != 1000 {
		t.Fatalf("answers %v, want mostly 429", codes)
	}
	r := e.call("GET", "/api/v1/sessions", "wrong", nil)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || r.errCode() != "rate_limited" {
		t.Errorf("blocked answer: %d %v %s", r.status, r.header, r.body)
	}
}

// vmRSS reads this process's resident set size in bytes.
func vmRSS(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestUnauthenticatedBodiesNotBuffered is finding 6's memory attack: 100
// connections without a valid key each send a 1 MB body (all but its last
// byte, then hold). The server used to buffer every body (RSS +100 MiB);
// now the body cap of unauthenticated requests refuses them unread with
// 401, and RSS grows by at most 10 MiB.
func TestUnauthenticatedBodiesNotBuffered(t *testing.T) {
	e := newEnv(t)
	const conns, size = 100, 1 << 20
	body := make([]byte, size) // one buffer shared by every writer
	for i := range body {
		body[i] = 'x'
	}
	runtime.GC()
	before := vmRSS(t)

	var wg sync.WaitGroup
	held := make([]net.Conn, 0, conns)
	var mu sync.Mutex
	statuses := map[string]int{}
	for i := range conns {
		c, err := net.Dial("tcp", e.srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			hdr := fmt.Sprintf("POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong-%d\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", i, size)
			if _, err := c.Write([]byte(hdr)); err != nil {
				return
			}
			_, _ = c.Write(body[:size-1]) // fails once the server has closed
			line, err := bufio.NewReader(c).ReadString('\n')
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				statuses["no answer"]++
				return
			}
			statuses[strings.TrimSpace(line)]++
		}()
	}
	wg.Wait()
	after := vmRSS(t)
	for _, c := range held {
		c.Close()
	}
	growth := after - before
	t.Logf("RSS %d MiB → %d MiB (+%.1f MiB); answers %v", before>>20, after>>20, float64(growth)/(1<<20), statuses)
	if growth > 10<<20 {
		t.Fatalf("RSS grew by %.1f MiB holding %d unauthenticated 1 MB bodies, want ≤ 10 MiB", float64(growth)/(1<<20), conns)
	}
	for line, n := range statuses {
		if line == "no answer" { // reset before the answer was read
			continue
		}
		if !strings.Contains(line, " 401 ") && !strings.Contains(line, " 429 ") {
			t.Errorf("%d connections answered %q", n, line)
		}
	}
	// An authenticated client still sends bodies up to the normal limit.
	big := `{"id":"big","name":"` + strings.Repeat("n", 100) + `","proxy":"http://h:1/` + strings.Repeat("p", 64<<10) + `"}`
	if r := e.call("POST", "/api/v1/sessions", keyA, big); r.status == http.StatusRequestEntityTooLarge || r.status == http.StatusUnauthorized {
		t.Errorf("authenticated 64 KiB body: %d %s", r.status, r.body)
	}
}

// TestRestartsCoalesce is finding 6's restart storm: with account
// protection on, 200 restarts of one session within the window publish
// one command (the worker makes one connect), and all answer its id.
func TestRestartsCoalesce(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.SessionConnectInterval = time.Hour })
	e.create(keyA, map[string]any{"id": "storm"})
	e.create(keyA, map[string]any{"id": "free", "account_protection": false})
	e.nextCommand()
	e.nextCommand()
	base := e.commandCount()
	var wg sync.WaitGroup
	ids := make(chan string, 200)
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.call("POST", "/api/v1/sessions/storm/restart", keyA, nil)
			if r.status != http.StatusOK {
				t.Errorf("restart: %d %s", r.status, r.body)
				return
			}
			ids <- r.json(t)["command_id"].(string)
		}()
	}
	wg.Wait()
	close(ids)
	distinct := map[string]bool{}
	for id := range ids {
		distinct[id] = true
	}
	if n := e.commandCount() - base; n != 1 || len(distinct) != 1 {
		t.Fatalf("200 restarts published %d commands with %d ids, want 1", n, len(distinct))
	}
	if cmd := e.nextCommand(); cmd.Verb != command.Restart || !distinct[cmd.ID] {
		t.Fatalf("published %+v", cmd)
	}
	// A stop ends the window: the next connect is a real change.
	mustStatus(t, e.call("POST", "/sessions/storm/stop", keyA, nil), http.StatusOK)
	mustStatus(t, e.call("POST", "/v2/session/start?instance_id=storm&access_token="+keyA, "", nil), http.StatusOK)
	mustStatus(t, e.call("POST", "/api/v1/sessions/storm/connect", keyA, nil), http.StatusOK)
	if cmd := e.nextCommand(); cmd.Verb != command.Stop {
		t.Fatalf("published %+v", cmd)
	}
	if cmd := e.nextCommand(); cmd.Verb != command.Start {
		t.Fatalf("published %+v", cmd)
	}
	if cmd, ok := e.tryCommand(300 * time.Millisecond); ok {
		t.Fatalf("connect inside the window published %+v", cmd)
	}
	// Without account protection nothing is coalesced.
	for range 5 {
		mustStatus(t, e.call("POST", "/api/v1/sessions/free/restart", keyA, nil), http.StatusOK)
	}
	for range 5 {
		if cmd := e.nextCommand(); cmd.Verb != command.Restart || cmd.Session != "free" {
			t.Fatalf("published %+v", cmd)
		}
	}
}
