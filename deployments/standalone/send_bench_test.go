package standalone_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// benchChats is how many simulated phones the send benchmarks message.
const benchChats = 1000

// perMessage is how many copies of one message the simulator's phones
// receive: the chat's phone and, device-sent, the session's own phone.
const perMessage = 2

// benchSender is a linked session with account protection off and Signal
// sessions set up with every chat (one message each, delivered).
type benchSender struct {
	a      *api
	ids    []string // session ids
	phones []string
	hc     *http.Client
}

func newBenchSender(b *testing.B, sessions, chats int, prefix string) *benchSender {
	_, a := gateway(b, b.TempDir(), "")
	s := &benchSender{a: a, hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}}
	for i := range sessions {
		id := fmt.Sprintf("bench%d", i)
		link(b, a, id, fmt.Sprintf("+1555%s%05d", prefix, i))
		a.must(200, "PATCH", "/api/v1/sessions/"+id, map[string]any{"account_protection": false})
		s.ids = append(s.ids, id)
	}
	for i := range chats {
		p := fmt.Sprintf("+1556%s%05d", prefix, i)
		if _, err := sim.RegisterPhone(p, "Chat"); err != nil {
			b.Fatal(err)
		}
		s.phones = append(s.phones, p)
	}
	// Warm up: one message per chat sets up its Signal session and device
	// list cache; wait until every one arrived.
	base := sim.InboundStats().Received
	s.run(b, chats, 32, 0, nil)
	s.waitReceived(b, base+perMessage*int64(chats), time.Minute)
	return s
}

// post sends message i (chat i mod chats, session i mod sessions) and
// returns its id and the accept latency.
func (s *benchSender) post(i int) (string, time.Duration, error) {
	body, _ := json.Marshal(map[string]string{"to": s.phones[i%len(s.phones)], "text": "bench message " + strconv.Itoa(i)})
	req, _ := http.NewRequest("POST", s.a.base+"/api/v1/sessions/"+s.ids[i%len(s.ids)]+"/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+adminKey)
	start := time.Now()
	resp, err := s.hc.Do(req)
	if err != nil {
		return "", 0, err
	}
	var out struct {
		Message struct {
			ID string `json:"id"`
		} `json:"message"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != 202 {
		return "", 0, fmt.Errorf("send: status %d", resp.StatusCode)
	}
	return out.Message.ID, took, nil
}

// run posts n messages from conc clients, at rate per second (0: as fast
// as they go); sent, when set, receives id → post time.
func (s *benchSender) run(b *testing.B, n, conc int, rate float64, sent func(i int, id string, at time.Time, accept time.Duration)) {
	var wg sync.WaitGroup
	var errOnce sync.Once
	var firstErr error
	next := make(chan int)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				at := time.Now()
				id, accept, err := s.post(i)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					continue
				}
				if sent != nil {
					sent(i, id, at, accept)
				}
			}
		}()
	}
	start := time.Now()
	for i := range n {
		if rate > 0 {
			if d := time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))); d > 0 {
				time.Sleep(d)
			}
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
}

func (s *benchSender) waitReceived(b *testing.B, want int64, within time.Duration) {
	deadline := time.Now().Add(within)
	for sim.InboundStats().Received < want {
		if time.Now().After(deadline) {
			b.Fatalf("phones received %d of %d within %v", sim.InboundStats().Received, want, within)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// BenchmarkSendThroughput: messages per second one worker sends with
// account protection off to 1,000 chats whose Signal sessions are set up,
// counted from the first POST until the phones have them all; and the api's
// accept latency under that load.
func BenchmarkSendThroughput(b *testing.B) {
	for _, sessions := range []int{1, 8} {
		b.Run(fmt.Sprintf("sessions=%d", sessions), func(b *testing.B) {
			s := newBenchSender(b, sessions, benchChats, fmt.Sprintf("%02d", sessions))
			const n = 5000
			var mu sync.Mutex
			var accepts []time.Duration
			base := sim.InboundStats().Received
			b.ResetTimer()
			stopProfile := profileTimed(b)
			cpu0 := cpuTime()
			start := time.Now()
			s.run(b, n, 32, 0, func(_ int, _ string, _ time.Time, d time.Duration) {
				mu.Lock()
				accepts = append(accepts, d)
				mu.Unlock()
			})
			s.waitReceived(b, base+perMessage*n, 2*time.Minute)
			took := time.Since(start)
			cpu := cpuTime() - cpu0
			stopProfile()
			b.StopTimer()
			b.ReportMetric(float64(n)/took.Seconds(), "msgs/s")
			// CPU time of the whole process (gateway, simulator and the
			// load client) per message: what the box pays, load or not.
			b.ReportMetric(ms(cpu)/n, "cpu-ms/msg")
			b.ReportMetric(ms(pct(accepts, 0.99)), "accept-p99-ms")
		})
	}
}

// BenchmarkSendLatency: p50/p99 from POST to the phone's inbox at 200
// messages per second (8 sessions of one worker, 1,000 chats), and the
// api's accept latency at that rate. whatsmeow sends one message of a
// client at a time (encrypt, send, wait for the server's ack), so one
// session alone cannot take 200/s.
func BenchmarkSendLatency(b *testing.B) {
	s := newBenchSender(b, 8, benchChats, "77")
	const rate, n = 200.0, 2000
	var mu sync.Mutex
	posted := map[string]time.Time{}
	var accepts []time.Duration
	base := sim.InboundStats().Received
	b.ResetTimer()
	s.run(b, n, 16, rate, func(_ int, id string, at time.Time, d time.Duration) {
		mu.Lock()
		posted[id], accepts = at, append(accepts, d)
		mu.Unlock()
	})
	s.waitReceived(b, base+perMessage*n, time.Minute)
	b.StopTimer()
	var lat []time.Duration
	for _, p := range s.phones {
		msgs, err := sim.PhoneMessages(p, "")
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range msgs {
			if at, ok := posted[m.ID]; ok {
				lat = append(lat, m.Time.Sub(at))
			}
		}
	}
	if len(lat) != n {
		b.Fatalf("matched %d of %d messages", len(lat), n)
	}
	b.ReportMetric(ms(pct(lat, 0.50)), "inbox-p50-ms")
	b.ReportMetric(ms(pct(lat, 0.99)), "inbox-p99-ms")
	b.ReportMetric(ms(pct(accepts, 0.50)), "accept-p50-ms")
	b.ReportMetric(ms(pct(accepts, 0.99)), "accept-p99-ms")
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// profileTimed writes a CPU profile of a benchmark's timed part (without
// its warm-up) to $SEND_BENCH_CPUPROFILE when that is set; the returned
// function stops it.
func profileTimed(b *testing.B) func() {
	path := os.Getenv("SEND_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// cpuTime is the user and system CPU time this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
