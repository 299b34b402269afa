package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// target is one webhook of a session. The secret stays in memory only.
type target struct {
	url    string
	secret string
	events []string
}

// Aliases accepted in Webhook.Events besides the event type tokens
// ("message", "session_status", "qr", "pair_code", "logged_in",
// "session_logged_out", "push_name", "restart_given_up"):
//
//	"*"              every event, like an empty list
//	"connected"      logged_in: the device is logged in and usable (seed 003)
//	"disconnected"   session_status whose new status is STOPPED, FAILED or
//	                 LOGGED_OUT (what seed 003 calls disconnected)
//	"logged_out"     session_logged_out
//	"session.status" session_status (the WAHA/Wawp spelling)
//
// "qr" is both a seed name and the type token. Unknown names match nothing.
const (
	aliasAll          = "*"
	aliasConnected    = "connected"
	aliasDisconnected = "disconnected"
	aliasLoggedOut    = "logged_out"
	aliasStatus       = "session.status"
)

// wants reports whether a webhook subscribed to events receives env. An
// empty list subscribes to everything.
func wants(events []string, env *event.Envelope) bool {
	if len(events) == 0 {
		return true
	}
	for _, e := range events {
		switch {
		case e == aliasAll, event.Type(e) == env.Type:
			return true
		case e == aliasConnected && env.Type == event.LoggedIn,
			e == aliasLoggedOut && env.Type == event.LoggedOut,
			e == aliasStatus && env.Type == event.StatusChanged:
			return true
		case e == aliasDisconnected && env.Type == event.StatusChanged:
			if disconnected(env.Data) {
				return true
			}
		}
	}
	return false
}

// disconnected reports whether session_status data names a status that
// seed 003 calls "disconnected".
func disconnected(data json.RawMessage) bool {
	var s event.Status
	if json.Unmarshal(data, &s) != nil {
		return false
	}
	return session.Status(s.Status).Waxum() == "disconnected" && session.Status(s.Status).Valid()
}

// mirror keeps the webhooks of every session from a watch on wa_sessions, so
// an event costs no KV read. A session absent from the mirror (not yet seen,
// or gone) is read from KV once.
type mirror struct {
	kv    jetstream.KeyValue
	codec session.Codec

	mu    sync.RWMutex
	hooks map[string][]target // by tenant.session; present with nil = no webhooks
}

func newMirror(kv jetstream.KeyValue, codec session.Codec) *mirror {
	return &mirror{kv: kv, codec: codec, hooks: make(map[string][]target)}
}

// load starts a watch living as long as watchCtx and applies the current
// values, waiting no longer than ctx; follow then applies the updates.
func (m *mirror) load(ctx, watchCtx context.Context) (jetstream.KeyWatcher, error) {
	m.reset() // the watch replays every current value
	w, err := m.kv.WatchAll(watchCtx)
	if err != nil {
		return nil, fmt.Errorf("webhook: watch sessions: %w", err)
	}
	for {
		select {
		case <-ctx.Done():
			_ = w.Stop()
			return nil, fmt.Errorf("webhook: load sessions: %w", ctx.Err())
		case e, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("webhook: load sessions: watch closed")
			}
			if e == nil { // end of the current values
				return w, nil
			}
			m.apply(e)
		}
	}
}

// rewatchDelay is how long the mirror waits before it reloads from a new
// watch after its watch closed.
const rewatchDelay = time.Second

// run follows w until ctx ends. A watch that closes under it (nats.go
// unsubscribes an ordered consumer it cannot re-create, e.g. under load)
// is replaced: the mirror is emptied, so sessions are read from KV
// meanwhile, and reloaded from a new watch. A mirror left stale would send
// events to removed webhooks and miss new ones.
func (m *mirror) run(ctx context.Context, w jetstream.KeyWatcher, log *zap.Logger) {
	for {
		m.follow(ctx, w)
		if ctx.Err() != nil {
			return
		}
		log.Warn("webhook session watch closed, reloading")
		m.reset()
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(rewatchDelay):
			}
			var err error
			if w, err = m.load(ctx, ctx); err == nil {
				break
			}
			if ctx.Err() != nil {
				return
			}
			log.Warn("webhook session watch not re-created, retrying", zap.Error(err))
		}
	}
}

// follow applies watch updates until ctx ends or the watch closes.
func (m *mirror) follow(ctx context.Context, w jetstream.KeyWatcher) {
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e != nil {
				m.apply(e)
			}
		}
	}
}

// reset forgets every session; lookups fall back to KV until reloaded.
func (m *mirror) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hooks = make(map[string][]target)
}

func (m *mirror) apply(e jetstream.KeyValueEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(m.hooks, e.Key())
		return
	}
	hooks, live, err := m.decodeTargets(e.Value())
	if err != nil || !live {
		delete(m.hooks, e.Key())
		return
	}
	m.hooks[e.Key()] = hooks
}

// decodeTargets returns the webhooks of a record, and false when the record
// is unreadable or being deleted. Sealed secrets that do not open (no or
// the wrong master key) are an error, so the event is retried rather than
// delivered unsigned, to a sealed URL, or dropped.
func (m *mirror) decodeTargets(raw []byte) ([]target, bool, error) {
	var rec session.Record
	if json.Unmarshal(raw, &rec) != nil || rec.Desired == session.DesiredDeleted {
		return nil, false, nil
	}
	if err := m.codec.OpenConfig(rec.Tenant, rec.ID, &rec.Config); err != nil {
		return nil, false, fmt.Errorf("webhook: %w", err)
	}
	var out []target
	for _, w := range rec.Config.Webhooks {
		if w.URL == "" || slices.ContainsFunc(out, func(t target) bool { return t.url == w.URL }) {
			continue // one delivery per URL: outcomes are keyed by it
		}
		out = append(out, target{url: w.URL, secret: w.Secret, events: w.Events})
	}
	return out, true, nil
}

// targets returns the webhooks of tenant/session; ok is false when the
// session does not exist (or is being deleted).
func (m *mirror) targets(ctx context.Context, tenant, sess string) ([]target, bool, error) {
	key := subject.SessionKey(tenant, sess)
	m.mu.RLock()
	hooks, ok := m.hooks[key]
	m.mu.RUnlock()
	if ok {
		return hooks, true, nil
	}
	e, err := m.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrInvalidKey) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("webhook: read session: %w", err)
	}
	return m.decodeTargets(e.Value())
}
