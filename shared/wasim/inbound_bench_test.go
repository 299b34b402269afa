package wasim_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
)

// BenchmarkInboundMessages measures how fast the simulated phones receive
// what one whatsmeow client sends to WASIM_BENCH_CHATS chats (default 1000)
// whose Signal sessions are already set up: WASIM_BENCH_MSGS messages
// (default 5000) round robin, from WASIM_BENCH_SENDERS goroutines (default
// 4; whatsmeow sends one message at a time per client). Each message is two
// decryptions on the simulator (the recipient's phone and the sender's own
// phone). It reports the end-to-end rate (SendMessage returns once the
// simulator decrypted, stored and acked) and the simulator's own capacity
// (messages per second of simulator time spent on message stanzas).
//
//	go test ./wasim/ -run '^$' -bench BenchmarkInboundMessages -benchtime 1x
func BenchmarkInboundMessages(b *testing.B) {
	chats := envInt("WASIM_BENCH_CHATS", 1000)
	total := envInt("WASIM_BENCH_MSGS", 5000)
	senders := envInt("WASIM_BENCH_SENDERS", 4)
	e := newEnv(b)
	cli, _, _ := e.pairQR(e.phone())
	var delivered atomic.Int64
	cli.AddEventHandler(func(evt any) {
		if r, ok := evt.(*events.Receipt); ok && r.Type == types.ReceiptTypeDelivered {
			delivered.Add(int64(len(r.MessageIDs)))
		}
	})
	ctx := context.Background()
	to := make([]types.JID, chats)
	for i := range to {
		phone := fmt.Sprintf("+1777%07d", i+1)
		if _, err := e.sim.RegisterPhone(phone, "Chat"); err != nil {
			b.Fatal(err)
		}
		to[i] = types.NewJID(phone[1:], types.DefaultUserServer)
	}
	// Set up every session (device lists, prekey bundles, first pkmsg).
	setup := time.Now()
	send := func(n, worker int) {
		for i := worker; i < n; i += senders {
			if _, err := cli.SendMessage(ctx, to[i%chats], textMessage(fmt.Sprintf("message %d", i))); err != nil {
				b.Errorf("send %d: %v", i, err)
				return
			}
		}
	}
	run := func(n int) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for w := 0; w < senders; w++ {
			wg.Go(func() { send(n, w) })
		}
		wg.Wait()
		return time.Since(start)
	}
	run(chats)
	setupTime := time.Since(setup)
	before := e.sim.InboundStats()
	delivered.Store(0)

	b.ResetTimer()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		elapsed += run(total)
	}
	b.StopTimer()
	after := e.sim.InboundStats()
	want := int64(total * b.N)
	eventually(b, "all delivery receipts", func() bool { return delivered.Load() >= want })
	if got := (after.Received - before.Received) / 2; got != want || after.Refused != before.Refused {
		b.Fatalf("phones kept %d of %d messages, %d refused", got, want, after.Refused-before.Refused)
	}
	rate := float64(want) / elapsed.Seconds()
	capacity := float64(want) / (after.Busy - before.Busy).Seconds()
	b.ReportMetric(float64(chats), "chats")
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(capacity, "sim-msgs/s")
	line := fmt.Sprintf("chats=%d messages=%d senders=%d setup=%.1fs end-to-end=%.0f msg/s simulator=%.0f msg/s of its own time (%.0f µs per message, 2 decryptions)",
		chats, want, senders, setupTime.Seconds(), rate, capacity, float64((after.Busy-before.Busy).Microseconds())/float64(want))
	b.Log(line)
	fmt.Println("BENCH", line)
}
