package wasim_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/appstate"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types/events"
	waLog "go.mau.fi/whatsmeow/util/log"

	"github.com/switchboard-gw/switchboard/shared/waclient"
)

// BenchmarkAppStateSync measures the link-time app-state path: WASIM_SYNC_N
// (default 500) devices registered as freshly linked log in; each gets the
// key share and fetches the five collections, and the run ends when every
// client has its push name. It reports syncs/s end to end (the clients'
// SQLite writes included) and the simulator's CPU per 1,000 syncs (key
// share encryption, patch encoding, IQ answers).
//
//	go test ./wasim/ -run '^$' -bench BenchmarkAppStateSync -benchtime 1x
func BenchmarkAppStateSync(b *testing.B) {
	n := envInt("WASIM_SYNC_N", 500)
	conc := envInt("WASIM_BENCH_CONC", 64)
	raiseNoFile()
	ctx := context.Background()
	child := startBenchChild(b)
	target, err := waclient.PointAtSimulator(ctx, child.ctl)
	if err != nil {
		b.Fatal(err)
	}
	dsn := "file:" + filepath.Join(b.TempDir(), "sync.db") +
		"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
	container, err := sqlstore.New(ctx, "sqlite", dsn, waLog.Noop)
	if err != nil {
		b.Fatal(err)
	}
	defer container.Close()
	devices := make([]*store.Device, n)
	mappings := make([]store.LIDMapping, n)
	for i := range devices {
		devices[i], mappings[i] = prePair(b, ctx, child, container, fmt.Sprintf("+1667%07d", i+1), "share")
	}
	if err := container.LIDMap.PutManyLIDMappings(ctx, mappings); err != nil {
		b.Fatal(err)
	}

	var synced atomic.Int64
	done := make(chan struct{})
	clients := make([]*whatsmeow.Client, n)
	for i, dev := range devices {
		cli := whatsmeow.NewClient(dev, waLog.Noop)
		target.Apply(cli)
		cli.AddEventHandler(func(evt any) {
			if e, ok := evt.(*events.AppStateSyncComplete); ok && e.Name == appstate.WAPatchCriticalBlock &&
				strings.HasPrefix(cli.Store.PushName, "Bench ") && synced.Add(1) == int64(n) {
				close(done)
			}
		})
		clients[i] = cli
	}
	defer disconnectAll(clients)

	simBefore := child.mem(b)
	b.ResetTimer()
	start := time.Now()
	jobs := make(chan *whatsmeow.Client)
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Go(func() {
			for cli := range jobs {
				if err := cli.Connect(); err != nil {
					b.Errorf("connect: %v", err)
				}
			}
		})
	}
	for _, cli := range clients {
		jobs <- cli
	}
	close(jobs)
	wg.Wait()
	select {
	case <-done:
	case <-time.After(10 * time.Minute):
		b.Fatalf("only %d of %d clients synced their push name", synced.Load(), n)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	simAfter := child.mem(b)

	perSec := float64(n) / elapsed.Seconds()
	simCPU := (simAfter.cpu - simBefore.cpu).Seconds() / (float64(n) / 1000)
	b.ReportMetric(float64(n), "sessions")
	b.ReportMetric(perSec, "syncs/s")
	b.ReportMetric(simCPU, "sim-cpu-s/1k-logins+syncs")
	line := fmt.Sprintf("sessions=%d login+key-share+sync of 5 collections: %.0f/s end to end; simulator CPU %.2f s per 1k (login included)",
		n, perSec, simCPU)
	b.Log(line)
	fmt.Println("BENCH", line)
}
