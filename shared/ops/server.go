package ops

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// ServerConfig configures a Server.
type ServerConfig struct {
	// Addr is the listen address (SWITCHBOARD_METRICS_ADDR); ":0" picks a
	// free port (see Server.Addr).
	Addr string
	// Gatherer is served on /metrics.
	Gatherer prometheus.Gatherer
	// Probe answers /readyz and /healthz.
	Probe *Probe
	// Drain, when set, is served on GET /drain (PathDrain): it starts the
	// process's drain and returns once it is done, so a Kubernetes preStop
	// hook ends only when every shard is handed off.
	Drain func(ctx context.Context) error
}

// Validate reports missing fields.
func (c ServerConfig) Validate() error {
	if c.Addr == "" || c.Gatherer == nil || c.Probe == nil {
		return errors.New("ops: Addr, Gatherer and Probe are required")
	}
	return nil
}

// Server is the operations listener of a worker or scheduler.
type Server struct {
	cfg    ServerConfig
	log    *zap.Logger
	srv    *http.Server
	ln     net.Listener
	served chan error
}

// NewServer returns a server; Start listens.
func NewServer(cfg ServerConfig, log *zap.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, log: log.Named("ops")}, nil
}

// Start binds Addr and serves in the background until Stop.
func (s *Server) Start(context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("ops: listen %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	mux := Mux(s.cfg.Gatherer, s.cfg.Probe)
	if s.cfg.Drain != nil {
		mux.HandleFunc("GET "+PathDrain, s.drain)
	}
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	s.served = make(chan error, 1)
	go func() {
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.served <- err
		}
	}()
	s.log.Info("serving metrics and probes", zap.String("addr", ln.Addr().String()))
	return nil
}

// drain runs Config.Drain for GET /drain and answers when it is done.
func (s *Server) drain(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Drain(r.Context()); err != nil {
		s.log.Warn("drain failed", zap.Error(err))
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"drained": false, "error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"drained": true})
}

// Addr is the bound address, or "" before Start.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Done receives the error that ended serving early (never after Stop).
func (s *Server) Done() <-chan error { return s.served }

// Stop stops serving and waits for open requests until ctx ends.
func (s *Server) Stop(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	if err := s.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("ops: shutdown: %w", err)
	}
	return nil
}
