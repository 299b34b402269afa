// Package events fans a tenant's session events out to live readers (the
// api's Server-Sent Events stream). One core NATS subscription per tenant
// with readers, however many readers it has; a reader that falls behind is
// dropped rather than allowed to hold anyone else up.
package events

import (
	"errors"
	"sync"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/subject"
)

// DefaultBuffer is how many events a reader may lag behind before it is
// dropped.
const DefaultBuffer = 256

// ErrClosed is returned by Subscribe after Close.
var ErrClosed = errors.New("events: hub closed")

// Config configures a Hub.
type Config struct {
	// NC is the NATS connection events arrive on (core subscriptions: every
	// event published to the WA_EVT stream reaches them too).
	NC *nats.Conn
	// Buffer is each reader's queue length (default DefaultBuffer).
	Buffer int
	// PendingLimit is how many events a tenant's subscription queues before
	// nats.go drops them (default nats.DefaultSubPendingMsgsLimit).
	PendingLimit int
}

// Hub hands events of a tenant's sessions to the readers subscribed to them.
type Hub struct {
	cfg Config
	log *zap.Logger

	mu      sync.Mutex
	closed  bool
	tenants map[string]*feed
}

// feed is one tenant's NATS subscription and its readers.
type feed struct {
	sub     *nats.Subscription
	mu      sync.Mutex
	readers map[*Reader]struct{}
	// lost is the subscription's dropped count already acted on.
	lost int
}

// New returns a hub; it subscribes lazily, on a tenant's first reader.
func New(cfg Config, log *zap.Logger) (*Hub, error) {
	if cfg.NC == nil {
		return nil, errors.New("events: NATS connection is required")
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = DefaultBuffer
	}
	return &Hub{cfg: cfg, log: log.Named("events"), tenants: map[string]*feed{}}, nil
}

// Subscribe returns a reader of tenant's events, of one session when
// session is not empty. The caller must Close it.
func (h *Hub) Subscribe(tenant, session string) (*Reader, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	f := h.tenants[tenant]
	if f == nil {
		f = &feed{readers: map[*Reader]struct{}{}}
		sub, err := h.cfg.NC.Subscribe(subject.TenantEvents(tenant), f.deliver)
		if err != nil {
			return nil, err
		}
		if h.cfg.PendingLimit > 0 {
			if err := sub.SetPendingLimits(h.cfg.PendingLimit, -1); err != nil {
				_ = sub.Unsubscribe()
				return nil, err
			}
		}
		f.sub = sub
		h.tenants[tenant] = f
	}
	r := &Reader{hub: h, tenant: tenant, session: session,
		ch: make(chan []byte, h.cfg.Buffer), dropped: make(chan struct{})}
	f.mu.Lock()
	f.readers[r] = struct{}{}
	f.mu.Unlock()
	return r, nil
}

// deliver hands one event to every matching reader without waiting: a
// reader whose queue is full is dropped, and so is every reader once the
// subscription itself lost events.
func (f *feed) deliver(m *nats.Msg) {
	_, session, ok := subject.EventSession(m.Subject)
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// A subscription that fell behind its pending limit (slow consumer)
	// had events dropped by nats.go: every reader missed some, so every
	// reader is dropped, as one too slow itself is, and reconnects.
	if n, err := m.Sub.Dropped(); err == nil && n > f.lost {
		f.lost = n
		for r := range f.readers {
			delete(f.readers, r)
			r.drop()
		}
		return
	}
	for r := range f.readers {
		if r.session != "" && r.session != session {
			continue
		}
		select {
		case r.ch <- m.Data:
		default:
			delete(f.readers, r)
			r.drop()
		}
	}
}

// remove takes r off its tenant's feed and unsubscribes the feed when it
// was the last reader.
func (h *Hub) remove(r *Reader) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.tenants[r.tenant]
	if f == nil {
		return
	}
	f.mu.Lock()
	delete(f.readers, r)
	empty := len(f.readers) == 0
	f.mu.Unlock()
	if empty {
		delete(h.tenants, r.tenant)
		if err := f.sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			h.log.Debug("unsubscribe failed", zap.Error(err))
		}
	}
}

// Close unsubscribes every feed and drops every reader.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for t, f := range h.tenants {
		_ = f.sub.Unsubscribe()
		f.mu.Lock()
		for r := range f.readers {
			r.drop()
		}
		f.readers = nil
		f.mu.Unlock()
		delete(h.tenants, t)
	}
}

// Reader receives the events of one subscription.
type Reader struct {
	hub             *Hub
	tenant, session string
	ch              chan []byte
	dropped         chan struct{}
	dropOnce        sync.Once
	closeOnce       sync.Once
}

// Events delivers each event envelope as published on NATS (JSON).
func (r *Reader) Events() <-chan []byte { return r.ch }

// Dropped is closed when the reader fell too far behind (or the hub
// closed); it gets no more events.
func (r *Reader) Dropped() <-chan struct{} { return r.dropped }

func (r *Reader) drop() { r.dropOnce.Do(func() { close(r.dropped) }) }

// Close ends the subscription.
func (r *Reader) Close() {
	r.closeOnce.Do(func() {
		r.hub.remove(r)
		r.drop()
	})
}
