package wasim

import (
	"strconv"

	"go.uber.org/zap"
)

// Failure reasons whatsmeow treats as "logged out" (it deletes its store).
func isLoggedOutReason(reason int) bool {
	return reason == 401 || reason == 403 || reason == 406
}

// login authenticates a login connection: the handshake's static key must
// be the Noise key registered at pairing for (phone, device). Unknown or
// removed devices get <failure reason="401"/>; a pending Fail reason is sent
// once instead. A live older connection of the same device is replaced.
func (s *Server) login(c *conn, username uint64, index uint32) error {
	phone := strconv.FormatUint(username, 10)
	s.mu.Lock()
	var dev *device
	if a := s.accounts[phone]; a != nil && index <= maxDeviceIndex {
		dev = a.devices[uint16(index)]
	}
	reason := 0
	switch {
	case dev == nil || dev.removed:
		reason = 401
	case dev.failReason != 0:
		reason = dev.failReason
		dev.failReason = 0
		if isLoggedOutReason(reason) {
			dev.removed = true
		}
	case dev.noisePub != c.static:
		reason = 401
	}
	if reason != 0 {
		s.mu.Unlock()
		s.log.Debug("login refused", zap.String("phone", phone), zap.Uint32("device", index), zap.Int("reason", reason))
		c.sendThenClose(failureNode(reason), s.cfg.CloseDelay)
		return nil
	}
	old := dev.conn
	dev.conn = c
	c.dev = dev
	replace := false
	if old != nil {
		// An old connection we are already closing (kick, failure) is just
		// detached; a live one is told it was replaced, as WhatsApp does.
		replace = !old.closing
		old.dev = nil
		old.closing = true
	} else {
		s.stats.loggedIn.Add(1)
	}
	lid := dev.lid
	s.mu.Unlock()
	if replace {
		s.stats.replaced.Add(1)
		old.sendThenClose(streamError("", "replaced"), s.cfg.CloseDelay)
	}
	if err := c.sendNode(successNode(lid)); err != nil {
		return err
	}
	s.flushQueued(c) // receipts that waited while the device was offline
	return nil
}
