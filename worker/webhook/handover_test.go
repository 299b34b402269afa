package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// Events held longer than AckWait (a receiver hanging) are kept in
// progress, not redelivered behind the lane's back: each arrives once.
func TestHeldEventsNotRedelivered(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	release := make(chan struct{})
	e.rcv.setRespond(func(string, int) int { <-release; return http.StatusOK })
	e.putSession("s1", session.Webhook{URL: e.rcv.url("/hook")})
	cfg := testConfig()
	cfg.AckWait = time.Second
	cfg.Timeout = 30 * time.Second
	e.start(cfg)
	var ids []string
	for i := range 10 {
		ids = append(ids, e.publish("s1", event.MessageReceived, fmt.Sprintf("m%d", i), msg("hi")))
	}
	time.Sleep(2500 * time.Millisecond) // the hang itself: over two AckWaits
	close(release)
	e.eventually("all delivered", func() bool { _, lost, _ := orderReport(e, "/hook", ids); return lost == 0 })
	e.settled()
	if ooo, lost, dups := orderReport(e, "/hook", ids); ooo+lost+dups != 0 {
		t.Fatalf("out of order %d, lost %d, duplicates %d", ooo, lost, dups)
	}
}

// A dispatcher stopping while its receiver is down hands its held events
// back in stream order; a standby dispatcher, pinned as soon as the first
// gives the pin up, delivers them first and in order, then the rest.
func TestHandOverKeepsOrder(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	var down atomic.Bool
	down.Store(true)
	e.rcv.setRespond(func(string, int) int {
		if down.Load() {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	e.putSession("s1", session.Webhook{URL: e.rcv.url("/hook")})
	cfg := testConfig()
	cfg.MaxAttempts = 1000
	a := e.start(cfg)
	var ids []string
	for i := range 30 {
		ids = append(ids, e.publish("s1", event.MessageReceived, fmt.Sprintf("m%02d", i), msg("hi")))
	}
	e.eventually("first attempts refused", func() bool { return len(e.rcv.requests("/hook")) >= 2 })
	e.start(cfg) // the standby
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	down.Store(false)
	for i := 30; i < 40; i++ {
		ids = append(ids, e.publish("s1", event.MessageReceived, fmt.Sprintf("m%02d", i), msg("hi")))
	}
	e.eventuallyWithin("all delivered by the standby", 20*time.Second, func() bool {
		_, lost, _ := orderReport(e, "/hook", ids)
		return lost == 0
	})
	e.settled()
	if ooo, lost, dups := orderReport(e, "/hook", ids); ooo+lost+dups != 0 {
		var got []string
		for _, q := range e.rcv.requests("/hook") {
			if q.status == 200 {
				got = append(got, q.header.Get(event.HeaderEventID)[len("t1/s1/message/"):])
			}
		}
		t.Logf("received %v", got)
		t.Fatalf("out of order %d, lost %d, duplicates %d", ooo, lost, dups)
	}
}
