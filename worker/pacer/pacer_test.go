package pacer_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/worker/pacer"
)

// TestPacerRate: releases run one by one at about the configured rate and
// all of them run.
func TestPacerRate(t *testing.T) {
	p, err := pacer.New(pacer.Config{Rate: 200, Burst: 1})
	if err != nil {
		t.Fatal(err)
	}
	p.Start(context.Background())
	defer func() { _ = p.Stop(context.Background()) }()
	const n = 40
	var count atomic.Int32
	done := make(chan struct{})
	jobs := make([]pacer.Job, n+20)
	for i := range jobs {
		if i >= n { // stale jobs use no slot
			jobs[i] = pacer.Job{Run: func() { t.Error("stale job ran") }, Stale: func() bool { return true }}
			continue
		}
		jobs[i].Run = func() {
			if count.Add(1) == n {
				close(done)
			}
		}
	}
	start := time.Now()
	p.Submit(jobs...)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%d of %d released", count.Load(), n)
	}
	// 40 releases at 200/s with a burst of 1 need at least ~195 ms; if the
	// 20 stale ones used slots it would take ~295 ms, which this does not
	// check (timing), but a stale job running fails the test.
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Errorf("released %d in %s, faster than the rate", n, el)
	}
}

// TestPacerStopDropsQueue: Stop returns promptly and nothing runs after it.
func TestPacerStopDropsQueue(t *testing.T) {
	p, err := pacer.New(pacer.Config{Rate: 1, Burst: 1})
	if err != nil {
		t.Fatal(err)
	}
	p.Start(context.Background())
	var ran atomic.Int32
	jobs := make([]pacer.Job, 10)
	for i := range jobs {
		jobs[i].Run = func() { ran.Add(1) }
	}
	p.Submit(jobs...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	after := ran.Load()
	if after > 2 {
		t.Errorf("%d released at 1/s before stop", after)
	}
	if p.Pending() != 0 {
		t.Errorf("%d still queued after stop", p.Pending())
	}
}

func TestPacerConfig(t *testing.T) {
	if _, err := pacer.New(pacer.Config{Rate: -1}); err == nil {
		t.Error("negative rate accepted")
	}
}

// TestPacerWait: Wait returns once its slot is released, and at once with
// the context's error when it ends first.
func TestPacerWait(t *testing.T) {
	p, err := pacer.New(pacer.Config{Rate: 20, Burst: 1})
	if err != nil {
		t.Fatal(err)
	}
	p.Start(context.Background())
	defer func() { _ = p.Stop(context.Background()) }()
	if err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	jobs := make([]pacer.Job, 100) // five seconds of queue
	for i := range jobs {
		jobs[i].Run = func() {}
	}
	p.Submit(jobs...)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := p.Wait(ctx); err == nil {
		t.Error("Wait behind a long queue returned before its slot")
	}
}
