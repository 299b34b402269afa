package sessions

import (
	"fmt"
	"strconv"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types/events"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// QR code lifetimes, as whatsmeow rotates them: the first of exactly six
// codes lasts 60 s, every other code 20 s.
const (
	qrFirstOfSix = 60 * time.Second
	qrEach       = 20 * time.Second
)

// onEvent maps one client event of the current client to state, pairing
// material and events. It returns the error of the state write, if any.
//
// events.PushName is not handled: it reports contacts' names, not ours
// (ours comes from app-state sync, see pushname.go).
func (s *Session) onEvent(evt any) error {
	switch e := evt.(type) {
	case *events.QR:
		return s.onQR(e)
	case *events.PairSuccess:
		return s.onPairSuccess(e)
	case *events.PairError:
		s.dropClient()
		s.clearPairing()
		return s.setStatus(session.StatusFailed, "pair_error: "+e.Error.Error())
	case *events.Connected:
		return s.onConnected()
	case *events.Disconnected:
		return s.onDisconnected()
	case *events.LoggedOut:
		return s.onLoggedOut(e)
	case *events.StreamReplaced:
		s.dropClient()
		return s.setStatus(session.StatusFailed, "replaced")
	case *events.TemporaryBan:
		s.dropClient()
		return s.setStatus(session.StatusFailed, "temporary_ban")
	case *events.ClientOutdated:
		s.dropClient()
		return s.setStatus(session.StatusFailed, "client_outdated")
	case *events.ConnectFailure:
		s.dropClient()
		return s.setStatus(session.StatusFailed, fmt.Sprintf("connect_failure: %s", e.Reason))
	case *events.CATRefreshError:
		s.dropClient()
		return s.setStatus(session.StatusFailed, "cat_refresh_failed")
	case *events.KeepAliveTimeout:
		return s.onKeepAliveTimeout(e)
	case *events.KeepAliveRestored:
		s.kaFailures = 0
		now := s.deps.Reporter.Now()
		return s.write(func(x *session.State) { x.LastKeepalive, x.LastError = &now, "" })
	case *events.PushNameSetting:
		return s.onPushName(e.Action.GetName())
	case *pushNameSynced:
		return s.onPushName(e.name)
	case *events.Message:
		s.onMessage(e)
	case *events.Receipt:
		s.onReceipt(e)
	}
	return nil
}

func (s *Session) onQR(e *events.QR) error {
	if s.mode != pairQR || len(e.Codes) == 0 {
		return nil // a pair code is being used; the codes are not shown
	}
	first, total := qrEach, time.Duration(len(e.Codes))*qrEach
	if len(e.Codes) == 6 {
		first, total = qrFirstOfSix, qrFirstOfSix+5*qrEach
	}
	if s.deps.QRWindow > 0 {
		total = s.deps.QRWindow
	}
	s.startTimer(total)
	p := session.Pairing{QRCodes: e.Codes, TimeoutSeconds: int(first.Seconds())}
	rev := s.putPairing(p)
	s.publish(event.QR, strconv.FormatUint(rev, 10), p)
	return s.setStatus(session.StatusScanQR, "")
}

func (s *Session) onPairSuccess(e *events.PairSuccess) error {
	s.stopTimer()
	s.mode = pairNone
	ctx, cancel := s.opCtx()
	err := s.deps.Devices.Link(ctx, s.tenant, s.id, e.ID)
	cancel()
	lastErr := ""
	if err != nil {
		// The device works now but would need a new QR after a restart.
		s.logger().Error("device link not recorded", zap.Error(err))
		lastErr = "link: " + err.Error()
	}
	s.clearPairing()
	return s.write(func(x *session.State) {
		x.Status, x.LastError = session.StatusConnected, lastErr
		clearDevice(x)
		setDevice(x, e.ID, e.LID)
	})
}

func (s *Session) onConnected() error {
	s.mode = pairNone
	s.stopTimer()
	s.stopRetry()
	s.kaFailures, s.retries = 0, 0
	if s.pairingSet {
		s.clearPairing()
	}
	now := s.deps.Reporter.Now()
	dev := s.client.Store
	err := s.write(func(x *session.State) {
		x.Status, x.LastError = session.StatusWorking, ""
		x.LastConnectedAt, x.LastKeepalive = &now, &now
		if dev.ID != nil {
			setDevice(x, *dev.ID, dev.LID)
		}
		if dev.PushName != "" {
			x.PushName = dev.PushName
		}
	})
	if err != nil {
		return err
	}
	s.publish(event.LoggedIn, strconv.FormatUint(s.snap.Revision, 10), event.Status{Status: string(session.StatusWorking)})
	return nil
}

func (s *Session) onDisconnected() error {
	if s.client == nil {
		return nil
	}
	if !s.linked() {
		// The server closed the registration connection: the codes ran out.
		reason := s.timeoutReason()
		s.dropClient()
		s.clearPairing()
		return s.setStatus(session.StatusStopped, reason)
	}
	if s.want {
		// The reconnect waits for its backoff and the pacer.
		s.kaFailures = 0
		s.scheduleConnect(s.backoff())
		return s.setStatus(session.StatusStarting, "")
	}
	return nil
}

// onKeepAliveTimeout keeps the status and reports the failure count; once
// keepalives have failed for whatsmeow's KeepAliveMaxFailTime the socket
// is given up and a paced reconnect queued (whatsmeow would reconnect by
// itself, bypassing the pacer).
func (s *Session) onKeepAliveTimeout(e *events.KeepAliveTimeout) error {
	s.kaFailures = e.ErrorCount
	s.deps.Metrics.keepaliveFailed()
	lastError := fmt.Sprintf("keepalive_timeout: %d failures", e.ErrorCount)
	if s.client == nil || time.Since(e.LastSuccess) <= whatsmeow.KeepAliveMaxFailTime {
		return s.write(func(x *session.State) { x.LastError = lastError })
	}
	s.client.Disconnect()
	s.kaFailures = 0
	s.scheduleConnect(s.backoff())
	return s.setStatus(session.StatusStarting, lastError)
}

func (s *Session) onLoggedOut(e *events.LoggedOut) error {
	s.want = false
	// whatsmeow deletes the device itself, but concurrently with this event
	// and under the connection's context, which the disconnect cancels
	// ("Failed to delete store after 401 failure: context canceled"). So
	// disconnect first, then delete the device here with our own context,
	// whatever whatsmeow managed; both deletes are idempotent. whatsmeow's
	// own goroutines (an app-state fetch in flight) may still save the
	// device after our delete and so re-insert it: without an ID, whatsmeow
	// refuses to save it, as after its own delete.
	if s.client != nil && s.client.Store != nil {
		s.client.Store.ID = nil
	}
	s.dropClient()
	ctx, cancel := s.opCtx()
	if err := s.deps.Devices.Forget(ctx, s.tenant, s.id); err != nil {
		s.logger().Warn("device delete after logout failed", zap.Error(err))
	}
	cancel()
	reason := "device_removed"
	if e.OnConnect {
		reason = "login_refused: " + e.Reason.String()
	}
	prev := s.status()
	err := s.write(func(x *session.State) {
		x.Status, x.LastError = session.StatusLoggedOut, reason
		clearDevice(x)
	})
	if err != nil {
		return err
	}
	s.publish(event.LoggedOut, strconv.FormatUint(s.snap.Revision, 10), event.Status{
		Status: string(session.StatusLoggedOut), Previous: string(prev), LastError: reason,
	})
	return nil
}

// onTimer ends a QR or pair-code registration whose codes have expired.
func (s *Session) onTimer() error {
	if s.mode == pairNone {
		return nil
	}
	reason := s.timeoutReason()
	s.dropClient()
	s.clearPairing()
	return s.setStatus(session.StatusStopped, reason)
}

func (s *Session) timeoutReason() string {
	if s.mode == pairCode {
		return "pair_code_timeout"
	}
	return "qr_timeout"
}

func (s *Session) onMessage(e *events.Message) {
	if e.Info.IsFromMe {
		return
	}
	m := event.Message{
		ID:       string(e.Info.ID),
		From:     e.Info.Sender.String(),
		Chat:     e.Info.Chat.String(),
		PushName: e.Info.PushName,
	}
	if msg := e.Message; msg != nil {
		m.Text = msg.GetConversation()
		if m.Text == "" {
			m.Text = msg.GetExtendedTextMessage().GetText()
		}
	}
	s.publish(event.MessageReceived, m.ID, m)
	s.logInbound(e, m)
}
