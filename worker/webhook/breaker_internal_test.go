package webhook

import (
	"context"
	"testing"
	"time"
)

// After BreakerFailures retryable failures the breaker parks the endpoint:
// send returns at once without calling the request and without a slot. A
// permanent failure (4xx) shows a live endpoint and does not trip it.
func TestBreakerParksEndpoint(t *testing.T) {
	cfg := Config{BreakerFailures: 2, BreakerOpen: time.Hour, EndpointConcurrency: 1}
	cfg.defaults()
	ep := newEndpoint(cfg)
	ctx := context.Background()
	calls := 0
	fail := func() outcome { calls++; return outcome{status: 503, err: "http status 503"} }
	perm := func() outcome { calls++; return outcome{status: 400, err: "http status 400", permanent: true} }
	for range 3 {
		if _, sent := ep.send(ctx, perm); !sent {
			t.Fatal("a 4xx opened the breaker")
		}
	}
	for range 2 {
		if _, sent := ep.send(ctx, fail); !sent {
			t.Fatal("breaker opened early")
		}
	}
	if _, sent := ep.send(ctx, fail); sent || calls != 5 {
		t.Fatalf("open breaker: sent %v, calls %d", sent, calls)
	}
	if len(ep.sem) != 0 {
		t.Fatal("parked send holds a slot")
	}
	if ep.idle() {
		t.Fatal("an endpoint with an open breaker counts as idle")
	}
}
