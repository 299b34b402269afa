package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/webhook"
)

// A dispatcher stopping with a request in flight cuts it short and gives
// the event back at once, without counting it as a failure, and another
// worker (pinned as soon as the first gives the pin up) delivers it.
func TestStopHandsEventOver(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	hung := make(chan struct{})
	e.rcv.setRespond(func(_ string, n int) int {
		if n == 1 {
			close(hung)
			time.Sleep(800 * time.Millisecond) // longer than Stop waits, shorter than Timeout
		}
		return http.StatusOK
	})
	e.putSession("s1", session.Webhook{URL: e.rcv.url("/slow")})
	a := e.start(testConfig())
	id := e.publish("s1", event.MessageReceived, "m1", msg("hi"))
	<-hung

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	began := time.Now()
	if err := a.Stop(ctx); err != nil {
		t.Fatalf("stop with a request in flight: %v", err)
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("stop took %v", took)
	}
	e.start(testConfig())
	e.eventually("redelivery", func() bool { return len(e.rcv.requests("")) >= 2 })
	e.settled()
	if n := e.count(`SELECT COUNT(*) FROM switchboard_webhook_deliveries WHERE event_id=$1 AND delivered_at IS NOT NULL`, id); n != 1 {
		t.Errorf("delivered rows = %d", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM switchboard_webhook_dead_letters`); n != 0 {
		t.Errorf("%d dead letters", n)
	}
}

// Webhooks configured after Start are picked up from the KV watch.
func TestConfigChangeFollowed(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	e.putSession("s1")
	d := e.start(testConfig())
	e.putSession("s1", session.Webhook{URL: e.rcv.url("/late")})
	i := 0
	e.eventually("delivery to the new webhook", func() bool {
		i++
		e.publish("s1", event.MessageReceived, strconv.Itoa(i), msg("hi"))
		time.Sleep(50 * time.Millisecond)
		return len(e.rcv.requests("/late")) > 0
	})
	if err := d.Start(e.ctx); !errors.Is(err, webhook.ErrStarted) {
		t.Errorf("second start: %v", err)
	}
}
