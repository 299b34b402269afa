package wasim

import (
	"context"
	"fmt"
)

// Kick names a server-initiated disconnect (spec §8).
type Kick string

// The disconnects Server.Kick performs.
const (
	// KickLogout sends stream:error 401 + conflict device_removed and removes
	// the device; the client emits LoggedOut{OnConnect:false} and deletes its
	// store, later logins get <failure reason="401"/>.
	KickLogout Kick = "logout"
	// KickReplace sends conflict type="replaced"; the client emits
	// StreamReplaced and does not reconnect. Counted in Stats.Replaced.
	KickReplace Kick = "replace"
	// KickRestart sends stream:error 515; the client reconnects at once.
	KickRestart Kick = "restart"
	// KickDrop closes the socket without a word; the client emits
	// Disconnected and auto-reconnects.
	KickDrop Kick = "drop"
)

// liveConn finds a device by JID and its logged-in connection.
func (s *Server) liveConn(jid string) (*device, *conn, error) {
	parsed, err := parseDeviceJID(jid)
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dev := s.deviceLocked(parsed)
	if dev == nil {
		return nil, nil, fmt.Errorf("%w: %s", ErrUnknownDevice, jid)
	}
	return dev, dev.conn, nil
}

// Kick disconnects the logged-in connection of a device (PN or LID device
// JID). The node is sent first and the socket closed after Config.CloseDelay
// (Config.RestartCloseDelay for restart) so the client handles it first.
// Errors: ErrInvalidInput, ErrUnknownDevice, ErrDeviceOffline.
func (s *Server) Kick(ctx context.Context, jid string, kind Kick) error {
	switch kind {
	case KickLogout, KickReplace, KickRestart, KickDrop:
	default:
		return fmt.Errorf("%w: kick %q", ErrInvalidInput, kind)
	}
	dev, _, err := s.liveConn(jid)
	if err != nil {
		return err
	}
	s.mu.Lock()
	c := dev.conn
	if c == nil || c.closing || dev.removed {
		s.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrDeviceOffline, jid)
	}
	c.closing = true
	if kind == KickLogout {
		dev.removed = true
	}
	s.mu.Unlock()
	switch kind {
	case KickLogout:
		c.sendThenClose(streamError("401", "device_removed"), s.cfg.CloseDelay)
	case KickReplace:
		s.stats.replaced.Add(1)
		c.sendThenClose(streamError("", "replaced"), s.cfg.CloseDelay)
	case KickRestart:
		c.sendThenClose(streamError("515", ""), s.cfg.RestartCloseDelay)
	case KickDrop:
		c.closeNow()
	}
	return nil
}

// Logout removes a live device remotely (see KickLogout).
func (s *Server) Logout(ctx context.Context, jid string) error { return s.Kick(ctx, jid, KickLogout) }

// Replace closes a live device's connection as replaced (see KickReplace).
func (s *Server) Replace(ctx context.Context, jid string) error { return s.Kick(ctx, jid, KickReplace) }

// Restart sends a live device a 515 (see KickRestart).
func (s *Server) Restart(ctx context.Context, jid string) error { return s.Kick(ctx, jid, KickRestart) }

// Drop closes a live device's socket (see KickDrop).
func (s *Server) Drop(ctx context.Context, jid string) error { return s.Kick(ctx, jid, KickDrop) }

// Fail makes a device's login fail with <failure reason="N"/>.
//
// If the device is live, the failure is sent at once on its connection and
// the socket closed after Config.CloseDelay (whatsmeow handles a failure node
// at any time). Otherwise it is sent once, on the device's next login.
// Logged-out reasons (401, 403, 406) also remove the device, so every later
// login gets 401 as well; other reasons (e.g. 402, 405, 500, 503) are one-shot.
// Errors: ErrInvalidInput, ErrUnknownDevice.
func (s *Server) Fail(ctx context.Context, jid string, reason int) error {
	if reason < 100 || reason > 999 {
		return fmt.Errorf("%w: failure reason %d", ErrInvalidInput, reason)
	}
	dev, _, err := s.liveConn(jid)
	if err != nil {
		return err
	}
	s.mu.Lock()
	c := dev.conn
	if c != nil && c.closing {
		c = nil
	}
	if c == nil {
		dev.failReason = reason
	} else if isLoggedOutReason(reason) {
		dev.removed = true
	}
	if c != nil {
		c.closing = true
	}
	s.mu.Unlock()
	if c != nil {
		c.sendThenClose(failureNode(reason), s.cfg.CloseDelay)
	}
	return nil
}
