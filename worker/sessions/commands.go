package sessions

import (
	"errors"
	"fmt"

	"go.mau.fi/whatsmeow"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/report"
)

// pairClientDisplay is how the linked device shows on the phone for pair
// codes; WhatsApp accepts only common "Browser (OS)" pairs.
const pairClientDisplay = "Chrome (Linux)"

// applyCommand applies one command and records its id in the state, which
// is how the api sees that it was applied. The outcome is for the done
// callback (see Done).
func (s *Session) applyCommand(cmd command.Command) error {
	if s.fenced {
		return report.ErrFenced
	}
	if s.gone {
		return ErrGone
	}
	if err := s.load(); err != nil {
		return err
	}
	// A command may change the device (logout, pairing): from now on the
	// device is read when a connect needs it.
	_ = s.takePreloaded()
	var fn func(*session.State)
	switch cmd.Verb {
	case command.Start:
		fn = s.start(false)
	case command.Restart:
		fn = s.start(true)
	case command.Stop:
		fn = s.stop()
	case command.Pair:
		fn = s.pair(cmd)
	case command.Logout:
		fn = s.logout(cmd)
	case command.Delete:
		return s.delete()
	default:
		return fmt.Errorf("sessions: unknown verb %q", cmd.Verb)
	}
	if s.ctx.Err() != nil {
		return ErrClosed // cancelled half-way: the next owner applies it again
	}
	return s.write(func(x *session.State) {
		if fn != nil {
			fn(x)
		}
		x.Command = cmd.ID
	})
}

// start queues a connect at the pacer (restart: disconnects first), like
// every other connect of the worker. Start on a connected session is a
// no-op.
func (s *Session) start(restart bool) func(*session.State) {
	s.want = true
	if restart {
		s.dropClient()
	} else if s.client != nil && s.client.IsConnected() {
		return nil
	}
	s.retries = 0
	s.scheduleConnect(s.connectDelay())
	// The paced connect, then Connected (linked) or QR (registration),
	// moves the status on.
	return status(session.StatusStarting, "")
}

// pacedConnect connects once the pacer releases a slot, for commands that
// need the connection before they can go on.
func (s *Session) pacedConnect() error {
	if err := s.deps.Pacer.Wait(s.ctx); err != nil {
		return err
	}
	return s.connect()
}

// stop disconnects and keeps the device.
func (s *Session) stop() func(*session.State) {
	s.want = false
	wasPairing := s.mode != pairNone
	s.dropClient()
	if wasPairing || s.pairingSet {
		s.clearPairing()
	}
	return status(session.StatusStopped, "")
}

// pair issues a pair code on the registration connection, connecting it
// first if needed, and writes the code (or the error) with the command id
// to wa_pairing, where the api waits for it.
func (s *Session) pair(cmd command.Command) func(*session.State) {
	s.want = true
	fail := func(err error) func(*session.State) {
		s.putPairing(session.Pairing{Error: err.Error(), Command: cmd.ID})
		return func(x *session.State) { x.LastError = "pair: " + err.Error() }
	}
	if s.linked() {
		return fail(errors.New("session is already linked"))
	}
	if s.client == nil || !s.client.IsConnected() {
		s.dropClient()
		if err := s.pacedConnect(); err != nil {
			return fail(err)
		}
		if s.linked() {
			return fail(errors.New("session is already linked"))
		}
	}
	if err := s.awaitSignal(qrSignal, s.deps.RegistrationWait); err != nil {
		return fail(fmt.Errorf("registration: %w", err))
	}
	ctx, cancel := s.opCtx()
	code, err := s.client.PairPhone(ctx, cmd.Phone, cmd.ShowPushNotification, whatsmeow.PairClientChrome, pairClientDisplay)
	cancel()
	if err != nil {
		return fail(err)
	}
	s.mode = pairCode
	s.startTimer(s.deps.PairCodeTTL)
	p := session.Pairing{Code: code, TimeoutSeconds: int(s.deps.PairCodeTTL.Seconds()), Command: cmd.ID}
	s.putPairing(p)
	s.publish(event.PairCode, cmd.ID, p)
	return status(session.StatusPairCode, "")
}

// logout unlinks the device (at WhatsApp when it can, locally always); the
// session stays, LOGGED_OUT.
func (s *Session) logout(cmd command.Command) func(*session.State) {
	s.want = false
	lastErr := s.unlink()
	s.publish(event.LoggedOut, cmd.ID, event.Status{
		Status: string(session.StatusLoggedOut), Previous: string(s.status()), LastError: lastErr,
	})
	return func(x *session.State) {
		x.Status, x.LastError = session.StatusLoggedOut, lastErr
		clearDevice(x)
	}
}

// unlink logs the device out (connecting it first if needed), deletes it
// locally whatever WhatsApp said, forgets the link and the pairing
// material. It returns a description of what failed, or "".
func (s *Session) unlink() string {
	var lastErr string
	if !s.linked() {
		s.dropClient()
		dev, err := s.loadDevice()
		if err != nil {
			lastErr = "logout: " + err.Error()
		} else if dev != nil {
			if err := s.newClient(dev); err != nil {
				lastErr = "logout: " + err.Error()
			}
		}
	}
	if s.linked() {
		if !s.client.IsLoggedIn() {
			if err := s.pacedConnect(); err == nil {
				if err := s.awaitSignal(loginSignal, s.deps.LoginWait); err != nil {
					lastErr = "logout: login " + err.Error()
				}
			} else {
				lastErr = "logout: " + err.Error()
			}
		}
		ctx, cancel := s.opCtx()
		if s.client != nil && s.client.IsLoggedIn() {
			if err := s.client.Logout(ctx); err != nil {
				lastErr = "logout: " + err.Error()
			}
		}
		// Logout deletes the device on success; otherwise delete it here so
		// the session never reconnects with it.
		if s.client != nil && s.client.Store.ID != nil {
			if err := s.client.Store.Delete(ctx); err != nil {
				s.logger().Warn("device delete failed", zap.Error(err))
			}
		}
		cancel()
	}
	s.dropClient()
	// Forget also deletes a device row the deletes above missed.
	ctx, cancel := s.opCtx()
	if err := s.deps.Devices.Forget(ctx, s.tenant, s.id); err != nil {
		s.logger().Warn("unlink failed", zap.Error(err))
	}
	cancel()
	s.clearPairing()
	return lastErr
}

// delete unlinks the device and removes the session's records.
func (s *Session) delete() error {
	s.want = false
	s.unlink()
	ctx, cancel := s.opCtx()
	defer cancel()
	if err := s.deps.Reporter.DeleteSession(ctx, s.fence, s.tenant, s.id); err != nil {
		if errors.Is(err, report.ErrFenced) {
			s.fenced = true
		}
		return err
	}
	if s.deps.MsgLog != nil {
		if _, err := s.deps.MsgLog.Erase(ctx, s.tenant, s.id); err != nil {
			s.logger().Warn("message log not erased", zap.Error(err))
		}
	}
	s.logger().Info("session deleted")
	s.markGone()
	return nil
}

func status(st session.Status, lastError string) func(*session.State) {
	return func(x *session.State) { x.Status, x.LastError = st, lastError }
}

func failed(lastError string) func(*session.State) {
	return status(session.StatusFailed, lastError)
}
