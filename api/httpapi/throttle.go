package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/switchboard-gw/switchboard/api/sessions"
)

// connectThrottle coalesces connect and restart requests of one session
// with account protection on: within the interval after one was published,
// later ones publish nothing and answer the first one's command id, so a
// client hammering restart makes one connection to WhatsApp, not dozens.
// A stop, logout or delete in between ends the window (the next connect is
// a real change). The window is per api replica: with R replicas a session
// makes at most R connects per interval.
type connectThrottle struct {
	interval time.Duration
	now      func() time.Time

	mu   sync.Mutex
	last map[string]*connectCall
}

// connectCall is one published (or publishing) connect of a session.
type connectCall struct {
	at   time.Time
	done chan struct{}
	res  sessions.ActionResult
	err  error
}

// sweepAt is the map size above which expired windows are dropped.
const sweepAt = 1024

func newConnectThrottle(interval time.Duration) *connectThrottle {
	return &connectThrottle{interval: interval, now: time.Now, last: map[string]*connectCall{}}
}

// coalesce wraps a connect-like action.
func (s *Server) coalesce(do actionFunc) actionFunc {
	t := s.throttle
	if t.interval <= 0 {
		return do
	}
	return func(ctx context.Context, tenant, id, idemKey string) (sessions.ActionResult, error) {
		rec, err := s.svc.Get(tenant, id)
		if err != nil || !rec.Config.AccountProtection {
			return do(ctx, tenant, id, idemKey)
		}
		key := tenant + "/" + id
		now := t.now()
		t.mu.Lock()
		if c, ok := t.last[key]; ok && now.Sub(c.at) < t.interval {
			t.mu.Unlock()
			select {
			case <-c.done:
			case <-ctx.Done():
				return sessions.ActionResult{}, sessions.ErrUnavailable
			}
			if c.err != nil {
				return sessions.ActionResult{}, c.err
			}
			if cur, err := s.svc.Get(tenant, id); err == nil {
				return sessions.ActionResult{Session: cur, CommandID: c.res.CommandID}, nil
			}
			return c.res, nil
		}
		c := &connectCall{at: now, done: make(chan struct{})}
		t.last[key] = c
		t.sweep(now)
		t.mu.Unlock()

		c.res, c.err = do(ctx, tenant, id, idemKey)
		if c.err != nil {
			t.forget(tenant, id, c)
		}
		close(c.done)
		return c.res, c.err
	}
}

// ending wraps an action that ends a session's connection (stop, logout,
// delete): the next connect is not coalesced into an earlier one.
func (s *Server) ending(do actionFunc) actionFunc {
	return func(ctx context.Context, tenant, id, idemKey string) (sessions.ActionResult, error) {
		s.throttle.forget(tenant, id, nil)
		return do(ctx, tenant, id, idemKey)
	}
}

// forget ends the session's window (only if it is still c, when c is set).
func (t *connectThrottle) forget(tenant, id string, c *connectCall) {
	t.mu.Lock()
	defer t.mu.Unlock()
	key := tenant + "/" + id
	if cur, ok := t.last[key]; ok && (c == nil || cur == c) {
		delete(t.last, key)
	}
}

// sweep drops expired windows once the map grows; t.mu is held.
func (t *connectThrottle) sweep(now time.Time) {
	if len(t.last) < sweepAt {
		return
	}
	for k, c := range t.last {
		if now.Sub(c.at) >= t.interval {
			delete(t.last, k)
		}
	}
}
