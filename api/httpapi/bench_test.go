package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// populate creates n session records of tenant straight in KV, with 32
// writers in parallel.
func populate(b *testing.B, e *env, tenant string, n int) []string {
	b.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-%05d", i)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	now := time.Now().UTC()
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				rec := session.Record{
					Tenant: tenant, ID: ids[i], Desired: session.DesiredRunning,
					Config:    session.Config{Name: "Bench " + ids[i], AccountProtection: true, Webhooks: []session.Webhook{{URL: "https://example.com/hook"}}},
					State:     session.State{Status: session.StatusWorking, PhoneNumber: "628123456789", PushName: "Bench", UpdatedAt: now},
					CreatedAt: now.Add(time.Duration(i) * time.Millisecond), UpdatedAt: now,
				}
				body, _ := json.Marshal(rec)
				if _, err := e.b.Sessions.Put(context.Background(), subject.SessionKey(tenant, ids[i]), body); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return ids
}

// latencies summarises request durations.
type latencies []time.Duration

func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	return l[min(len(l)-1, int(float64(len(l))*p))]
}

// report merges the per-client latencies and reports percentiles and rate.
func report(b *testing.B, per []latencies, elapsed time.Duration) {
	l := slices.Concat(per...)
	slices.Sort(l)
	b.ReportMetric(float64(l.pct(0.50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(l.pct(0.99).Microseconds()), "p99-µs")
	b.ReportMetric(float64(len(l))/elapsed.Seconds(), "req/s")
	b.ReportMetric(0, "ns/op") // the fixed workload ignores b.N
}

// BenchmarkGetSession measures GET /api/v1/sessions/{id} with 10,000
// sessions in KV, over real HTTP from an in-process keep-alive client. Each
// sub-benchmark runs a fixed workload (200,000 requests or 10 s) whatever
// b.N is, at a given number of concurrent clients.
func BenchmarkGetSession(b *testing.B) {
	e := startBus(b)
	t0 := time.Now()
	ids := populate(b, e, tenantA, 10_000)
	populated := time.Since(t0)
	t0 = time.Now()
	e.startServer()
	synced := time.Since(t0)
	b.Logf("populate 10000 records: %v; api start incl. mirror sync: %v", populated, synced)

	for _, conc := range []int{runtime.GOMAXPROCS(0), 2 * runtime.GOMAXPROCS(0), 4 * runtime.GOMAXPROCS(0), 16} {
		b.Run(fmt.Sprintf("clients=%d", conc), func(b *testing.B) {
			per, elapsed := getLoad(b, e, ids, conc, 200_000, 10*time.Second)
			report(b, per, elapsed)
		})
	}
}

// getLoad runs GET /api/v1/sessions/{id} over ids from conc keep-alive
// clients until maxReqs requests or maxTime, and returns each client's
// latencies and the elapsed time.
func getLoad(b *testing.B, e *env, ids []string, conc, maxReqs int, maxTime time.Duration) ([]latencies, time.Duration) {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var issued atomic.Int64
	per := make([]latencies, conc)
	deadline := time.Now().Add(maxTime)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reqs := make([]*http.Request, 64)
			for i := range reqs {
				reqs[i], _ = http.NewRequest("GET", e.base+"/api/v1/sessions/"+ids[(w*64+i)%len(ids)], nil)
				reqs[i].Header.Set("Authorization", "Bearer "+keyA)
			}
			for i := 0; issued.Add(1) <= int64(maxReqs) && time.Now().Before(deadline); i++ {
				t := time.Now()
				res, err := client.Do(reqs[i%len(reqs)])
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Errorf("status %d", res.StatusCode)
					return
				}
				per[w] = append(per[w], time.Since(t))
			}
		}()
	}
	wg.Wait()
	return per, time.Since(start)
}

// BenchmarkCommandRoundTrip measures POST …/restart until GET …/status shows
// the worker applied that command (last_command_id), with a minimal worker:
// a pull consumer on WA_CMD that writes State.Status and State.Command into
// the record. The client polls every 250 µs. Fixed workload: 2,000 round
// trips or 20 s, from 4 concurrent clients on 100 sessions.
func BenchmarkCommandRoundTrip(b *testing.B) {
	e := startBus(b)
	ids := populate(b, e, tenantA, 100)
	e.startServer()

	// The worker has its own connection, as a worker process would.
	wnc, err := nats.Connect(e.ns.ClientURL())
	if err != nil {
		b.Fatal(err)
	}
	defer wnc.Close()
	wjs, err := jetstream.New(wnc)
	if err != nil {
		b.Fatal(err)
	}
	kv, err := wjs.KeyValue(context.Background(), subject.SessionsBucket)
	if err != nil {
		b.Fatal(err)
	}
	cons, err := wjs.CreateOrUpdateConsumer(context.Background(), subject.CommandStream, jetstream.ConsumerConfig{
		Durable: "bench-worker", AckPolicy: jetstream.AckExplicitPolicy,
	})
	if err != nil {
		b.Fatal(err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		cmd, err := command.Decode(m.Data())
		if err == nil {
			err = writeState(context.Background(), kv, cmd.Tenant, cmd.Session, func(st *session.State) {
				st.Status = session.StatusWorking
				st.Command = cmd.ID
			})
		}
		if err != nil {
			b.Error(err)
		}
		_ = m.Ack()
	})
	if err != nil {
		b.Fatal(err)
	}
	defer cc.Stop()

	const conc, maxTrips, maxTime = 4, 2000, 20 * time.Second
	var issued atomic.Int64
	per := make([]latencies, conc)
	deadline := time.Now().Add(maxTime)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; issued.Add(1) <= maxTrips && time.Now().Before(deadline); i += conc {
				id := ids[i%len(ids)]
				t := time.Now()
				r := e.call("POST", "/api/v1/sessions/"+id+"/restart", keyA, nil)
				if r.status != http.StatusOK {
					b.Errorf("restart: %d %s", r.status, r.body)
					return
				}
				var ar struct {
					CommandID string `json:"command_id"`
				}
				_ = json.Unmarshal(r.body, &ar)
				for {
					var st struct {
						LastCommandID string `json:"last_command_id"`
					}
					_ = json.Unmarshal(e.call("GET", "/api/v1/sessions/"+id+"/status", keyA, nil).body, &st)
					if st.LastCommandID == ar.CommandID {
						break
					}
					if time.Since(t) > 5*time.Second {
						b.Errorf("command %s not applied after 5 s", ar.CommandID)
						return
					}
					time.Sleep(250 * time.Microsecond)
				}
				per[w] = append(per[w], time.Since(t))
			}
		}()
	}
	wg.Wait()
	report(b, per, time.Since(start))
}
