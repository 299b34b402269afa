package sessions

import (
	"fmt"
	"strconv"
	"time"

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
// material and events.
func (s *Session) onEvent(evt any) {
	switch e := evt.(type) {
	case *events.QR:
		s.onQR(e)
	case *events.PairSuccess:
		s.onPairSuccess(e)
	case *events.PairError:
		s.dropClient()
		s.clearPairing()
		_ = s.setStatus(session.StatusFailed, "pair_error: "+e.Error.Error())
	case *events.Connected:
		s.onConnected()
	case *events.Disconnected:
		s.onDisconnected()
	case *events.LoggedOut:
		s.onLoggedOut(e)
	case *events.StreamReplaced:
		s.dropClient()
		_ = s.setStatus(session.StatusFailed, "replaced")
	case *events.TemporaryBan:
		s.dropClient()
		_ = s.setStatus(session.StatusFailed, "temporary_ban")
	case *events.ClientOutdated:
		s.dropClient()
		_ = s.setStatus(session.StatusFailed, "client_outdated")
	case *events.ConnectFailure:
		s.dropClient()
		_ = s.setStatus(session.StatusFailed, fmt.Sprintf("connect_failure: %s", e.Reason))
	case *events.CATRefreshError:
		s.dropClient()
		_ = s.setStatus(session.StatusFailed, "cat_refresh_failed")
	case *events.KeepAliveTimeout:
		s.kaFailures = e.ErrorCount
		_ = s.write(func(x *session.State) {
			x.LastError = fmt.Sprintf("keepalive_timeout: %d failures", e.ErrorCount)
		})
	case *events.KeepAliveRestored:
		s.kaFailures = 0
		now := s.deps.Reporter.Now()
		_ = s.write(func(x *session.State) { x.LastKeepalive, x.LastError = &now, "" })
	case *events.PushNameSetting:
		if name := e.Action.GetName(); name != "" {
			_ = s.write(func(x *session.State) { x.PushName = name })
		}
	case *events.Message:
		s.onMessage(e)
	}
}

func (s *Session) onQR(e *events.QR) {
	if s.mode != pairQR || len(e.Codes) == 0 {
		return // a pair code is being used; the codes are not shown
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
	_ = s.setStatus(session.StatusScanQR, "")
	s.publish(event.QR, strconv.FormatUint(rev, 10), p)
}

func (s *Session) onPairSuccess(e *events.PairSuccess) {
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
	_ = s.write(func(x *session.State) {
		x.Status, x.LastError = session.StatusConnected, lastErr
		clearDevice(x)
		setDevice(x, e.ID, e.LID)
	})
}

func (s *Session) onConnected() {
	s.mode = pairNone
	s.stopTimer()
	s.kaFailures = 0
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
	if err == nil {
		s.publish(event.LoggedIn, strconv.FormatUint(s.snap.Revision, 10), event.Status{Status: string(session.StatusWorking)})
	}
}

func (s *Session) onDisconnected() {
	if s.client == nil {
		return
	}
	if !s.linked() {
		// The server closed the registration connection: the codes ran out.
		reason := s.timeoutReason()
		s.dropClient()
		s.clearPairing()
		_ = s.setStatus(session.StatusStopped, reason)
		return
	}
	if s.want {
		// whatsmeow reconnects by itself.
		_ = s.setStatus(session.StatusStarting, "")
	}
}

func (s *Session) onLoggedOut(e *events.LoggedOut) {
	s.want = false
	s.dropClient() // whatsmeow has deleted the device already
	ctx, cancel := s.opCtx()
	if err := s.deps.Devices.Unlink(ctx, s.tenant, s.id); err != nil {
		s.logger().Warn("unlink failed", zap.Error(err))
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
	if err == nil {
		s.publish(event.LoggedOut, strconv.FormatUint(s.snap.Revision, 10), event.Status{
			Status: string(session.StatusLoggedOut), Previous: string(prev), LastError: reason,
		})
	}
}

// onTimer ends a QR or pair-code registration whose codes have expired.
func (s *Session) onTimer() {
	if s.mode == pairNone {
		return
	}
	reason := s.timeoutReason()
	s.dropClient()
	s.clearPairing()
	_ = s.setStatus(session.StatusStopped, reason)
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
}

// resume reconnects a session that should be running.
func (s *Session) resume() {
	if err := s.load(); err != nil || !s.want || s.client != nil {
		return
	}
	if err := s.connect(); err != nil {
		_ = s.setStatus(session.StatusFailed, "connect: "+err.Error())
		return
	}
	_ = s.setStatus(session.StatusStarting, "")
}
