package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

const (
	benchSessions = 100_000
	// benchFailing is one session in benchFailing that needs a restart.
	benchFailing = 100
)

// BenchmarkSweep100k times one sweep over 100,000 session records in KV,
// 1% of which are FAILED and get a restart command. Target: ≤ 5 s.
func BenchmarkSweep100k(b *testing.B) {
	e := newEnv(b)
	e.registerWorker(liveWorker)
	e.holdShards(0, 1, 2, 3)
	populate(b, e, benchSessions)
	s := e.scheduler(Config{ID: "bench", Interval: time.Minute})
	base := s.boundary(time.Now())
	var total time.Duration
	var restarted int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := s.sweep(context.Background(), base.Add(time.Duration(i)*time.Minute))
		if err != nil {
			b.Fatal(err)
		}
		if res.Checked != benchSessions {
			b.Fatalf("checked %d sessions, want %d", res.Checked, benchSessions)
		}
		total += res.Duration
		restarted += res.Restarted
	}
	b.StopTimer()
	per := total.Seconds() / float64(b.N)
	b.ReportMetric(per, "s/sweep")
	b.ReportMetric(benchSessions/per, "sessions/s")
	b.Logf("sweep of %d sessions: %.2f s (%.0f sessions/s), %d restarts in the first", benchSessions, per, benchSessions/per, restarted)
}

// populate writes n records concurrently, as a fleet of workers would.
func populate(b *testing.B, e *env, n int) {
	b.Helper()
	start := time.Now()
	now := time.Now().UTC()
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(64)
	for i := range n {
		g.Go(func() error {
			id := fmt.Sprintf("s%06d", i)
			rec := record(id, session.StatusWorking, now, func(s *session.State) {
				s.LastKeepalive, s.LastConnectedAt, s.DeviceJID = &now, &now, "1555000"+id[1:]+":1@s.whatsapp.net"
			})
			if i%benchFailing == 0 {
				rec.State.Status, rec.State.LastError = session.StatusFailed, "conflict: replaced"
			}
			rec.Config.Name = "bench " + id
			body, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			_, err = e.b.Sessions.Put(ctx, subject.SessionKey(rec.Tenant, rec.ID), body)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	b.Logf("populated %d sessions in %v", n, time.Since(start).Round(time.Millisecond))
}
