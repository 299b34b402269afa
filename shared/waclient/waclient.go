// Package waclient points unmodified whatsmeow clients at the WhatsApp
// simulator (package wasim). It is the worker's only switch: call
// PointAtSimulator once at startup, then Apply to every whatsmeow.Client.
package waclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
)

// ErrKeyConflict means the process already trusts a different simulator root
// key; whatsmeow.WACertPubKey is process-global and set only once.
var ErrKeyConflict = errors.New("waclient: a different simulator root key is already installed")

var (
	installOnce sync.Once
	installed   [32]byte
)

// trust mirrors the simulator's GET /trust body.
type trust struct {
	RootPublicKey string `json:"root_public_key"`
	WSAddr        string `json:"ws_addr"`
	CACertPEM     string `json:"ca_cert_pem,omitempty"`
}

// Target is a simulator that whatsmeow clients can be pointed at.
type Target struct {
	rootKey [32]byte
	wsAddr  string
	client  *http.Client
}

// PointAtSimulator reads http://controlAddr/trust, installs the simulator's
// Noise root key as whatsmeow.WACertPubKey (once per process; a later call
// with a different key fails with ErrKeyConflict) and returns a Target whose
// HTTP client redirects whatsmeow's websocket dials to the simulator.
//
// Call it before any whatsmeow client connects: WACertPubKey is read on
// every handshake, and writing it later is a data race.
func PointAtSimulator(ctx context.Context, controlAddr string) (*Target, error) {
	info, err := fetchTrust(ctx, controlAddr)
	if err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(info.RootPublicKey)
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("waclient: bad root_public_key from %s", controlAddr)
	}
	if info.WSAddr == "" {
		return nil, fmt.Errorf("waclient: empty ws_addr from %s", controlAddr)
	}
	key := [32]byte(raw)
	installOnce.Do(func() {
		installed = key
		whatsmeow.WACertPubKey = key
	})
	if installed != key {
		return nil, ErrKeyConflict
	}
	transport, err := newTransport(info)
	if err != nil {
		return nil, err
	}
	return &Target{
		rootKey: key,
		wsAddr:  info.WSAddr,
		client:  &http.Client{Transport: transport},
	}, nil
}

func fetchTrust(ctx context.Context, controlAddr string) (*trust, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+controlAddr+"/trust", nil)
	if err != nil {
		return nil, fmt.Errorf("waclient: trust request: %w", err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("waclient: get trust: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("waclient: get trust: status %d", resp.StatusCode)
	}
	var info trust
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&info); err != nil {
		return nil, fmt.Errorf("waclient: decode trust: %w", err)
	}
	return &info, nil
}

// newTransport redirects every dial to the simulator. Without a CA the dial
// is plain TCP returned from DialTLSContext, so net/http treats it as
// already-TLS and speaks HTTP/1.1 over it (redirect option A). With a CA the
// simulator serves TLS for web.whatsapp.com (option B). Proxy is nil so
// HTTPS_PROXY from the environment cannot divert the dial.
func newTransport(info *trust) (*http.Transport, error) {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	addr := info.WSAddr
	t := &http.Transport{Proxy: nil}
	if info.CACertPEM == "" {
		t.DialTLSContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "tcp", addr)
		}
		return t, nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(info.CACertPEM)) {
		return nil, fmt.Errorf("waclient: bad ca_cert_pem")
	}
	t.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, "tcp", addr)
	}
	t.TLSClientConfig = &tls.Config{RootCAs: pool, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}
	return t, nil
}

// HTTPClient is the shared client that dials the simulator. Websocket
// connections are hijacked, not pooled, so one client serves every
// whatsmeow.Client.
func (t *Target) HTTPClient() *http.Client { return t.client }

// WSAddr is the simulator's websocket address.
func (t *Target) WSAddr() string { return t.wsAddr }

// RootPublicKey is the simulator's Noise root key installed in whatsmeow.
func (t *Target) RootPublicKey() [32]byte { return t.rootKey }

// Apply points c at the simulator: both the pre-login (QR, pair code) and
// the logged-in websocket dials use the Target's HTTP client.
func (t *Target) Apply(c *whatsmeow.Client) {
	c.SetPreLoginHTTPClient(t.client)
	c.SetWebsocketHTTPClient(t.client)
}
