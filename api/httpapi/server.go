// Package httpapi serves Switchboard's HTTP api with Fiber: authentication,
// request decoding, the route tables of each surface and the one error
// handler. The session logic lives in package sessions, reads come from
// package mirror.
//
// Surfaces: /api/v1/sessions… (seed 003, routes.go), /sessions… (WASend,
// wasend.go), /v2/session/… (Wawp, wawp.go), /api/v1/admin/keys (keys.go).
// Keys: "Authorization: Bearer <key>" or "X-Api-Key" (Wawp also
// access_token), env keys or managed keys (package keys), each with scopes
// (scopes.go) and optionally bound to one session (auth.go); per-key and
// failed-auth limits in ratelimit.go, the unauthenticated body cap in
// bodycap.go, restart coalescing in throttle.go. Errors are always
// {"error":{"code","message"}} (errors.go); 503 carries Retry-After: 5.
package httpapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/api/events"
	"github.com/switchboard-gw/switchboard/api/keys"
	"github.com/switchboard-gw/switchboard/api/mirror"
	"github.com/switchboard-gw/switchboard/api/sessions"
	"github.com/switchboard-gw/switchboard/api/webhooks"
	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/message"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// Connection timeouts of the HTTP server. The write timeout leaves room for
// a pair request's wait.
const (
	readTimeout  = 30 * time.Second
	writeTimeout = 60 * time.Second
	idleTimeout  = 120 * time.Second
)

// Server is the HTTP api: a Fiber app over the session core and the mirror.
type Server struct {
	cfg     Config
	log     *zap.Logger
	nc      *nats.Conn
	js      jetstream.JetStream
	buckets *bus.Buckets
	mirror  *mirror.Mirror
	metrics *metrics
	svc     *sessions.Service
	auth    authenticator
	hub     *events.Hub
	hooks   *webhooks.Client
	keys    *keys.Store
	app     *fiber.App

	keyLimits *limiterSet // per key
	authFails *limiterSet // failed authentications per client address
	throttle  *connectThrottle

	// ctx is the parent of every request's NATS work; Stop cancels it so
	// that long waits (pair) end at once.
	ctx    context.Context
	cancel context.CancelFunc

	ln     net.Listener
	served chan error

	stopOnce sync.Once
	stopErr  error
}

// New builds the server; Start runs it.
func New(cfg Config, nc *nats.Conn, js jetstream.JetStream, b *bus.Buckets, log *zap.Logger) (*Server, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if nc == nil || js == nil || b == nil || b.Sessions == nil || b.Pairing == nil || b.Leases == nil || b.Messages == nil || b.Keys == nil {
		return nil, errors.New("httpapi: nats connection, jetstream and buckets are required")
	}
	log = log.Named("api")
	m, err := mirror.New(mirror.Config{
		Sessions:   b.Sessions,
		Pairing:    b.Pairing,
		Leases:     b.Leases,
		Shards:     cfg.Shards,
		PairingTTL: bus.PairingTTL,
		Connected:  func() bool { return nc.Status() == nats.CONNECTED },
		Codec:      session.Codec{Box: cfg.Box},
	}, log)
	if err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	svc, err := sessions.New(sessions.Config{NC: nc, JS: js, Sessions: b.Sessions, Mirror: m, PairWait: cfg.PairWait,
		WebhookGuard: cfg.WebhookGuard, Messages: message.NewStore(js, b.Messages), Codec: session.Codec{Box: cfg.Box}}, log)
	if err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	hub, err := events.New(events.Config{NC: nc, Buffer: cfg.EventBuffer}, log)
	if err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	met, err := newMetrics(cfg.Registry, m)
	if err != nil {
		return nil, fmt.Errorf("httpapi: metrics: %w", err)
	}
	ks, err := keys.New(b.Keys, log)
	if err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	s := &Server{cfg: cfg, log: log, nc: nc, js: js, buckets: b, mirror: m, metrics: met, svc: svc, hooks: webhooks.New(nc), hub: hub, keys: ks,
		auth:      newAuthenticator(cfg.AdminKey, cfg.TenantKeys, ks),
		keyLimits: newLimiterSet(), authFails: newLimiterSet(),
		throttle: newConnectThrottle(cfg.SessionConnectInterval)}
	// Requests outlive any ctx passed to New or Start; Stop cancels this one.
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.app = fiber.New(fiber.Config{
		ErrorHandler:  s.handleError,
		BodyLimit:     cfg.BodyLimit,
		ReadTimeout:   readTimeout,
		WriteTimeout:  writeTimeout,
		IdleTimeout:   idleTimeout,
		CaseSensitive: true,
	})
	s.app.Use(met.middleware(s.handleError))
	// Sizes the body limit from the headers, before the body is read: a
	// request without a valid key in its headers or query may not make the
	// server buffer a large body.
	s.app.Server().HeaderReceived = s.headerReceived
	s.routes()
	s.addChecks()
	if err := s.dashboardRoutes(); err != nil {
		return nil, fmt.Errorf("httpapi: dashboard: %w", err)
	}
	if err := s.docsRoutes(); err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	return s, nil
}

// Start syncs the mirror, then listens on Config.Addr and serves in the
// background. It returns once the listener is bound.
func (s *Server) Start(ctx context.Context) error {
	if err := s.mirror.Start(ctx); err != nil {
		// Detached: ctx is already done, the watches must still end.
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return errors.Join(fmt.Errorf("httpapi: %w", err), s.mirror.Stop(stopCtx))
	}
	if err := s.keys.Start(ctx); err != nil {
		return errors.Join(fmt.Errorf("httpapi: %w", err), s.mirror.Stop(context.WithoutCancel(ctx)))
	}
	ln, err := s.listen()
	if err != nil {
		stopCtx := context.WithoutCancel(ctx)
		return errors.Join(err, s.keys.Stop(stopCtx), s.mirror.Stop(stopCtx))
	}
	s.ln = ln
	s.served = make(chan error, 1)
	go func() {
		s.served <- s.app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true})
	}()
	s.log.Info("listening", zap.String("addr", ln.Addr().String()), zap.Bool("tls", s.cfg.TLSCertFile != ""))
	return nil
}

// listen binds Config.Addr, with TLS when a certificate is configured.
func (s *Server) listen() (net.Listener, error) {
	var tcfg *tls.Config
	if s.cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCertFile, s.cfg.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("httpapi: tls: %w", err)
		}
		tcfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("httpapi: listen: %w", err)
	}
	if tcfg != nil {
		ln = tls.NewListener(ln, tcfg)
	}
	return ln, nil
}

// URL is the base URL of the bound listener (https with TLS), or "".
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	if s.cfg.TLSCertFile != "" {
		return "https://" + s.Addr()
	}
	return "http://" + s.Addr()
}

// Addr is the bound listen address (useful with port 0), or "" before Start.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Stop ends pending waits, drains in-flight requests until ctx ends, and
// stops the mirror. Later calls return the first call's result.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.stop(ctx) })
	return s.stopErr
}

func (s *Server) stop(ctx context.Context) error {
	s.cancel()
	s.hub.Close()
	var errs []error
	if s.served != nil {
		if err := s.app.ShutdownWithContext(ctx); err != nil {
			errs = append(errs, fmt.Errorf("httpapi: shutdown: %w", err))
		}
		// A shutdown that comes before fasthttp's Serve has registered the
		// listener finds nothing to close and Serve would then run forever:
		// closing the listener ourselves ends it either way.
		_ = s.ln.Close()
		select {
		case err := <-s.served:
			if err != nil {
				errs = append(errs, fmt.Errorf("httpapi: serve: %w", err))
			}
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("httpapi: serve: %w", ctx.Err()))
		}
	}
	if err := s.keys.Stop(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := s.mirror.Stop(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
