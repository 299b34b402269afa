package wasim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

type runState int

const (
	stateNew runState = iota
	stateRunning
	stateStopped
)

// Server is one simulated WhatsApp: a websocket endpoint for clients and a
// control API for the harness. Create it with New, then Start and Stop it.
type Server struct {
	cfg   Config
	log   *zap.Logger
	ident *noiseIdentity
	tls   *tlsMaterial

	faults atomic.Pointer[Faults]
	stats  counters
	// chats holds the chat states companions sent (chatstate.go).
	chats chatStates

	// mu guards the registry (accounts, devices, pending refs and codes,
	// open connections) and the lifecycle state. Never hold it across I/O.
	mu       registryMutex
	state    runState
	accounts map[string]*account // by phone digits
	lids     map[string]*account // by LID user
	refs     map[string]*conn    // pending QR ref → registration connection
	codes    map[string]*conn    // phone → connection waiting for a link code
	conns    map[*conn]struct{}
	nextLID  uint64
	// rootKey is the Noise root private key, kept in the state file.
	rootKey []byte
	// persistMu serialises state file writes; persisted is the content last
	// read or written.
	persistMu sync.Mutex
	persisted []byte
	// savedUnlocks is what mu's unlock count was right after the snapshot
	// persisted was made from (persistMu guards it).
	savedUnlocks uint64

	ctx    context.Context
	cancel context.CancelFunc
	wsLn   net.Listener
	ctlLn  net.Listener
	wsSrv  *http.Server
	ctlSrv *http.Server
	wg     sync.WaitGroup
}

// New validates cfg (after applying defaults) and prepares a Server. It
// generates the Noise root, intermediate and static keys.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger.Named("wasim"),
		accounts: make(map[string]*account),
		lids:     make(map[string]*account),
		refs:     make(map[string]*conn),
		codes:    make(map[string]*conn),
		conns:    make(map[*conn]struct{}),
		nextLID:  cfg.FirstLID,
	}
	if cfg.StateFile != "" {
		root, err := s.loadState(cfg.StateFile)
		if err != nil {
			return nil, err
		}
		if len(cfg.RootPrivateKey) == 0 {
			cfg.RootPrivateKey = root
			s.cfg.RootPrivateKey = root
		}
		s.rootKey = cfg.RootPrivateKey
	}
	var err error
	if s.ident, err = newNoiseIdentity(cfg.RootPrivateKey); err != nil {
		return nil, err
	}
	if cfg.TLS {
		if s.tls, err = newTLSMaterial(); err != nil {
			return nil, err
		}
	}
	s.faults.Store(&Faults{})
	return s, nil
}

// Start binds both listeners and serves them in goroutines owned by the
// Server until Stop. ctx bounds only the binding.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateNew {
		return fmt.Errorf("wasim: start: %w", ErrNotRunning)
	}
	var lc net.ListenConfig
	wsLn, err := lc.Listen(ctx, "tcp", s.cfg.WSAddr)
	if err != nil {
		return fmt.Errorf("wasim: listen ws: %w", err)
	}
	ctlLn, err := lc.Listen(ctx, "tcp", s.cfg.ControlAddr)
	if err != nil {
		_ = wsLn.Close()
		return fmt.Errorf("wasim: listen control: %w", err)
	}
	if s.tls != nil {
		wsLn = tls.NewListener(wsLn, s.tls.serverConfig())
	}
	// Connections outlive the ctx given to Start, so they get their own root
	// context, cancelled by Stop.
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wsLn, s.ctlLn = wsLn, ctlLn
	s.wsSrv = &http.Server{
		Handler:           s.wsHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          zap.NewStdLog(s.log.Named("ws_http")),
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
	}
	s.ctlSrv = &http.Server{
		Handler:           s.controlHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          zap.NewStdLog(s.log.Named("control_http")),
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
	}
	s.state = stateRunning
	s.wg.Add(2)
	go s.serve(s.wsSrv, wsLn)
	go s.serve(s.ctlSrv, ctlLn)
	if s.cfg.StateFile != "" {
		s.wg.Add(1)
		go s.persistLoop(s.ctx)
	}
	s.log.Info("simulator started",
		zap.String("ws_addr", wsLn.Addr().String()),
		zap.String("control_addr", ctlLn.Addr().String()),
		zap.Bool("tls", s.tls != nil))
	return nil
}

func (s *Server) serve(srv *http.Server, ln net.Listener) {
	defer s.wg.Done()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("listener stopped", zap.Error(err))
	}
}

// Stop closes the listeners and every connection, then waits for the
// Server's goroutines or for ctx.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.state != stateRunning {
		s.mu.Unlock()
		return nil
	}
	s.state = stateStopped
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	s.cancel()
	var errs []error
	if err := s.wsSrv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("wasim: ws shutdown: %w", err))
	}
	if err := s.ctlSrv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("wasim: control shutdown: %w", err))
	}
	for _, c := range conns {
		c.closeNow()
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("wasim: stop: %w", ctx.Err()))
	}
	if err := s.saveState(); err != nil {
		errs = append(errs, err)
	}
	s.log.Info("simulator stopped")
	return errors.Join(errs...)
}

// WSAddr is the bound websocket address (host:port), empty before Start.
func (s *Server) WSAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wsLn == nil {
		return ""
	}
	return s.wsLn.Addr().String()
}

// ControlAddr is the bound control API address (host:port), empty before Start.
func (s *Server) ControlAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctlLn == nil {
		return ""
	}
	return s.ctlLn.Addr().String()
}

// RootPublicKey is the Noise root key clients must trust (whatsmeow.WACertPubKey).
func (s *Server) RootPublicKey() [32]byte {
	return s.ident.rootPub
}

// TLSCACertPEM is the PEM CA certificate clients must trust when Config.TLS
// is set; nil otherwise.
func (s *Server) TLSCACertPEM() []byte {
	if s.tls == nil {
		return nil
	}
	return s.tls.caPEM
}

// trackConn registers a new connection unless the Server is stopping; the
// caller must call untrackConn when the connection ends.
func (s *Server) trackConn(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateRunning {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.stats.connections.Add(1)
	return true
}
