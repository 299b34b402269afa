package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// BenchmarkEventsFanout connects 1,000 SSE readers of one tenant to
// GET /api/v1/events and publishes 20 status changes, 50 ms apart, as a
// worker does (JetStream). It reports the delay from publish to each
// reader's receipt, then the GET /api/v1/sessions/{id} rate with those
// 1,000 readers connected against the rate without them.
func BenchmarkEventsFanout(b *testing.B) {
	const readers, changes = 1000, 20
	e := startBus(b)
	ids := populate(b, e, tenantA, 1000)
	e.startServer()

	// Baseline read rate, no readers.
	per, elapsed := getLoad(b, e, ids, 4, 100_000, 5*time.Second)
	before := float64(len(slices.Concat(per...))) / elapsed.Seconds()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := &http.Transport{MaxIdleConnsPerHost: readers}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var (
		mu     sync.Mutex
		delays []time.Duration
		wg     sync.WaitGroup
		ready  sync.WaitGroup
	)
	for range readers {
		wg.Add(1)
		ready.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, "GET", e.base+"/api/v1/events", nil)
			req.Header.Set("Authorization", "Bearer "+keyA)
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				ready.Done()
				return
			}
			defer res.Body.Close()
			sc := bufio.NewScanner(res.Body)
			sc.Scan() // ": connected"
			ready.Done()
			got := 0
			for got < changes && sc.Scan() {
				line, ok := strings.CutPrefix(sc.Text(), "data: ")
				if !ok {
					continue
				}
				var env event.Envelope
				if json.Unmarshal([]byte(line), &env) != nil {
					b.Error("bad event")
					return
				}
				d := time.Since(env.Time)
				mu.Lock()
				delays = append(delays, d)
				mu.Unlock()
				got++
			}
		}()
	}
	ready.Wait()

	// Read rate with 1,000 readers connected (idle between changes).
	per, elapsed = getLoad(b, e, ids, 4, 100_000, 5*time.Second)
	during := float64(len(slices.Concat(per...))) / elapsed.Seconds()

	for i := range changes {
		body, _ := json.Marshal(event.Envelope{ID: "bench-" + string(rune('a'+i)), Type: event.StatusChanged,
			Tenant: tenantA, Session: ids[i], Time: time.Now().UTC(), Data: json.RawMessage(`{"status":"WORKING"}`)})
		if _, err := e.js.Publish(ctx, subject.Event(tenantA, ids[i], string(event.StatusChanged)), body); err != nil {
			b.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	cancel()
	if len(delays) != readers*changes {
		b.Fatalf("%d deliveries, want %d", len(delays), readers*changes)
	}
	l := latencies(delays)
	slices.Sort(l)
	b.ReportMetric(float64(l.pct(0.50).Microseconds())/1000, "fanout-p50-ms")
	b.ReportMetric(float64(l.pct(0.99).Microseconds())/1000, "fanout-p99-ms")
	b.ReportMetric(before, "get-req/s-0-readers")
	b.ReportMetric(during, "get-req/s-1000-readers")
	b.ReportMetric(100*(before-during)/before, "get-drop-%")
	b.ReportMetric(0, "ns/op")
}
