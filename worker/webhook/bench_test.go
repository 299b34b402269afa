package webhook_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/netguard"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/webhook"
)

// BenchmarkSlowTenantFairness: 50 events/s for 10 s over five tenants, one
// of whose endpoints sleeps 15 s on every request (past the 10 s timeout),
// with the production defaults (timeout, breaker, concurrency). Reported:
// the other tenants' delivery latency (publish to receipt), which must stay
// at p99 ≤ 100 ms, and how many events they lost.
func BenchmarkSlowTenantFairness(b *testing.B) {
	const (
		rate     = 50
		duration = 10 * time.Second
		tenants  = 5 // tenant 0 is the slow one
	)
	e := newEnv(b, devstoretest.SQLiteURL(b))
	stop := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(15 * time.Second):
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	var mu sync.Mutex
	var lat []time.Duration
	got := map[string]bool{}
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var env event.Envelope
		if json.Unmarshal(body, &env) == nil {
			mu.Lock()
			lat = append(lat, time.Since(env.Time))
			got[env.ID] = true
			mu.Unlock()
		}
	}))
	defer fast.Close()
	defer slow.Close()
	defer close(stop)
	for i := range tenants {
		u := fast.URL + "/hook"
		if i == 0 {
			u = slow.URL + "/hook"
		}
		e.putTenantSession(fmt.Sprintf("tenant%d", i), "s1", session.Webhook{URL: u, Secret: "k"})
	}
	d, err := webhook.New(webhook.Config{Leases: e.b.Leases, Guard: netguard.Policy{AllowPrivate: true}}, e.js, e.b.Sessions, e.ds, e.log)
	if err != nil {
		b.Fatal(err)
	}
	if err := d.Start(e.ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var want []string
	tick := time.NewTicker(time.Second / rate)
	for i := range int(duration.Seconds() * rate) {
		<-tick.C
		ten := i % tenants
		id := e.publishAs(fmt.Sprintf("tenant%d", ten), "s1", event.MessageReceived, fmt.Sprintf("m%04d", i), msg("hi"))
		if ten != 0 {
			want = append(want, id)
		}
	}
	tick.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.StopTimer()
	_ = d.Stop(e.ctx)
	mu.Lock()
	defer mu.Unlock()
	lost := 0
	for _, id := range want {
		if !got[id] {
			lost++
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Printf("webhook fairness: %d events/s, 1 of %d tenants' endpoint sleeping 15 s: other tenants p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d of %d lost\n",
		rate, tenants, ms(pct(0.5)), ms(pct(0.99)), ms(lat[len(lat)-1]), lost, len(want))
	b.ReportMetric(ms(pct(0.5)), "p50-ms")
	b.ReportMetric(ms(pct(0.99)), "p99-ms")
	b.ReportMetric(float64(lost), "lost")
	b.ReportMetric(0, "ns/op")
	if pct(0.99) > 100*time.Millisecond || lost > 0 {
		b.Errorf("other tenants: p99 %v (target ≤ 100 ms), %d lost", pct(0.99), lost)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
