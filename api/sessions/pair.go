package sessions

import (
	"context"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// PairInput is a pair-code request.
type PairInput struct {
	// Phone is the number to link, in international format.
	Phone string
	// ShowPushNotification asks the phone to show a notification.
	ShowPushNotification bool
	// IdempotencyKey, when set, scopes the pair command's id; a repeat
	// answers the same code.
	IdempotencyKey string
}

// Pair sets Desired=running, publishes pair and waits (at most PairWait) for
// the worker to put the code, or an error, for this command into wa_pairing.
func (s *Service) Pair(ctx context.Context, tenant, id string, in PairInput) (session.Pairing, error) {
	if !session.ValidID(id) {
		return session.Pairing{}, ErrInvalidID
	}
	if err := validIdempotencyKey(in.IdempotencyKey); err != nil {
		return session.Pairing{}, err
	}
	phone, err := NormalizePhone(in.Phone)
	if err != nil {
		return session.Pairing{}, err
	}
	if err := s.available(); err != nil {
		return session.Pairing{}, err
	}
	running := setDesired(session.DesiredRunning)
	if _, err := s.update(ctx, tenant, id, false, func(rec *session.Record) (bool, error) {
		if rec.State.Status.LoggedIn() {
			return false, ErrAlreadyLoggedIn
		}
		return running(rec)
	}); err != nil {
		return session.Pairing{}, err
	}
	cmd := s.newCommand(tenant, id, command.Pair, in.IdempotencyKey)
	cmd.Phone = phone
	cmd.ShowPushNotification = in.ShowPushNotification
	if err := s.publish(ctx, cmd); err != nil {
		return session.Pairing{}, err
	}
	wctx, cancel := context.WithTimeout(ctx, s.cfg.PairWait)
	defer cancel()
	p, err := s.cfg.Mirror.WaitPairing(wctx, tenant, id, func(p session.Pairing) bool {
		return p.Command == cmd.ID && (p.Code != "" || p.Error != "")
	})
	switch {
	case err != nil && ctx.Err() != nil:
		// The server is stopping; the client may retry elsewhere.
		return session.Pairing{}, withMessage(ErrUnavailable, "server is shutting down, retry", err)
	case err != nil:
		return session.Pairing{}, withMessage(ErrPairTimeout, ErrPairTimeout.Message, err)
	case p.Error != "":
		return session.Pairing{}, withMessage(ErrPairFailed, "pairing failed: "+p.Error, nil)
	}
	return p, nil
}
