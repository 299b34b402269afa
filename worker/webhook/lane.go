package webhook

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// laneKey is one session's webhook URL: events in one lane are sent one at
// a time, in stream order.
type laneKey struct{ tenant, session, url string }

// lane is the queue of one laneKey; a goroutine runs it while it has work.
type lane struct {
	key     laneKey
	ep      *endpoint
	queue   []*heldMsg
	running bool
}

// lanes owns every lane and endpoint of a dispatcher.
type lanes struct {
	d  *Dispatcher
	mu sync.Mutex
	by map[laneKey]*lane
	ep map[endpointKey]*endpoint
	wg sync.WaitGroup
}

func newLanes(d *Dispatcher) *lanes {
	return &lanes{d: d, by: make(map[laneKey]*lane), ep: make(map[endpointKey]*endpoint)}
}

// enqueue appends h to the lane of (its session, url), starting the lane's
// goroutine if needed. Past the endpoint's backlog bound the event is
// dead-lettered at once instead: a dead endpoint holds a bounded share.
func (ls *lanes) enqueue(ctx context.Context, h *heldMsg, url string) {
	key := laneKey{h.env.Tenant, h.env.Session, url}
	ls.mu.Lock()
	ek := endpointKey{key.tenant, url}
	ep := ls.ep[ek]
	if ep == nil {
		ep = newEndpoint(ls.d.cfg)
		ls.ep[ek] = ep
	}
	if ep.backlog >= ls.d.cfg.EndpointBacklog {
		ls.mu.Unlock()
		if ls.d.overflow(ctx, h, url) {
			h.done(ls.d.log)
			return
		}
		ls.mu.Lock() // not recorded: keep it queued past the bound rather than lose it
	}
	l := ls.by[key]
	if l == nil {
		l = &lane{key: key, ep: ep}
		ep.lanes++
		ls.by[key] = l
	}
	l.queue = append(l.queue, h)
	ep.backlog++
	start := !l.running
	l.running = true
	ls.mu.Unlock()
	if start {
		ls.wg.Add(1)
		go ls.run(ctx, l)
	}
}

// run sends the lane's events in order until it is empty or ctx ends.
func (ls *lanes) run(ctx context.Context, l *lane) {
	defer ls.wg.Done()
	for {
		ls.mu.Lock()
		if len(l.queue) == 0 {
			l.running = false
			delete(ls.by, l.key)
			l.ep.lanes--
			if l.ep.idle() {
				delete(ls.ep, endpointKey{l.key.tenant, l.key.url})
			}
			ls.mu.Unlock()
			return
		}
		h := l.queue[0]
		ls.mu.Unlock()
		if !ls.d.deliver(ctx, l, h) {
			return // stopping: Stop hands the rest back
		}
		ls.mu.Lock()
		l.queue[0] = nil
		l.queue = l.queue[1:]
		l.ep.backlog--
		ls.mu.Unlock()
		h.done(ls.d.log)
	}
}

// wait blocks until every lane goroutine returned (after ctx ended), then
// forgets all lanes; endpoints (and their breakers) are forgotten too.
func (ls *lanes) wait() {
	ls.wg.Wait()
	ls.mu.Lock()
	ls.by = make(map[laneKey]*lane)
	ls.ep = make(map[endpointKey]*endpoint)
	ls.mu.Unlock()
}

// sleep waits for d or ctx; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// parkPause is how often a lane parked by an open breaker looks again.
func (c Config) parkPause() time.Duration {
	return min(max(c.BreakerOpen/10, 10*time.Millisecond), time.Second)
}

// logger returns the fields of one delivery.
func (d *Dispatcher) laneLog(l *lane, h *heldMsg) *zap.Logger {
	return d.log.With(zap.String("tenant", l.key.tenant), zap.String("session", l.key.session),
		zap.String("event_id", h.env.ID), zap.String("event_type", string(h.env.Type)), zap.String("target", redact(l.key.url)))
}
