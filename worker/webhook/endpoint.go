package webhook

import (
	"context"
	"errors"

	"github.com/sony/gobreaker/v2"
)

// errRetryable tells the breaker an attempt failed in a way that counts
// against the endpoint (timeouts, 5xx, 429, transport errors). Permanent
// failures (other 4xx) show a live endpoint and count as successes.
var errRetryable = errors.New("webhook: retryable failure")

// endpointKey is one tenant's URL: the unit of concurrency, breaker and
// backlog. Two tenants using the same receiver do not share a breaker, so
// one tenant's failures cannot park another's deliveries.
type endpointKey struct{ tenant, url string }

// endpoint limits and guards the requests to one endpointKey. Its backlog
// and lane count are guarded by lanes.mu.
type endpoint struct {
	sem     chan struct{}
	cb      *gobreaker.CircuitBreaker[struct{}]
	backlog int // events queued in its lanes
	lanes   int // lanes referring to it
}

func newEndpoint(cfg Config) *endpoint {
	return &endpoint{
		sem: make(chan struct{}, cfg.EndpointConcurrency),
		cb: gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
			MaxRequests: 1,
			Timeout:     cfg.BreakerOpen,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= uint32(cfg.BreakerFailures) },
		}),
	}
}

// idle reports whether the endpoint can be forgotten: nothing queued and
// its breaker closed (an open breaker must outlive a quiet spell).
func (e *endpoint) idle() bool {
	return e.lanes == 0 && e.backlog == 0 && e.cb.State() == gobreaker.StateClosed
}

// send runs f under the endpoint's concurrency limit and breaker. sent is
// false, without f running and without holding a slot, while the breaker is
// open (or half-open with its probe already out), or when ctx ends first.
func (e *endpoint) send(ctx context.Context, f func() outcome) (o outcome, sent bool) {
	if e.cb.State() == gobreaker.StateOpen {
		return outcome{}, false
	}
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return outcome{}, false
	}
	defer func() { <-e.sem }()
	_, err := e.cb.Execute(func() (struct{}, error) {
		o = f()
		if !o.ok() && !o.permanent {
			return struct{}{}, errRetryable
		}
		return struct{}{}, nil
	})
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return outcome{}, false
	}
	return o, true
}
