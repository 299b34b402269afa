package sessions

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// maxIdempotencyKey bounds the client's Idempotency-Key.
const maxIdempotencyKey = 200

// validIdempotencyKey accepts "" (none) or 1..200 visible ASCII characters.
func validIdempotencyKey(k string) error {
	if len(k) > maxIdempotencyKey {
		return invalid("Idempotency-Key must be at most 200 characters")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return invalid("Idempotency-Key must be visible ASCII characters")
		}
	}
	return nil
}

// commandID is the command id and Nats-Msg-Id: the client's idempotency key
// scoped to tenant, session and verb, or a fresh uuid.
func commandID(tenant, id string, verb command.Verb, idemKey string) string {
	if idemKey == "" {
		return uuid.NewString()
	}
	return tenant + "/" + id + "/" + string(verb) + "/" + idemKey
}

// newCommand builds a command; the caller fills verb-specific fields.
func (s *Service) newCommand(tenant, id string, verb command.Verb, idemKey string) command.Command {
	return command.Command{
		ID:       commandID(tenant, id, verb, idemKey),
		Tenant:   tenant,
		Session:  id,
		Verb:     verb,
		IssuedAt: s.now(),
		Reason:   "api",
	}
}

// publish sends cmd to WA_CMD with its id as Nats-Msg-Id, so a repeated
// idempotency key is dropped by the stream's duplicate window.
func (s *Service) publish(ctx context.Context, cmd command.Command) error {
	body, err := cmd.Encode()
	if err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
	defer cancel()
	if _, err := s.cfg.JS.Publish(ctx, subject.Command(cmd.Tenant, cmd.Session, string(cmd.Verb)), body,
		jetstream.WithMsgID(cmd.ID)); err != nil {
		return s.natsErr("publish command", err)
	}
	return nil
}

// available fails fast with ErrUnavailable while NATS is not connected, so
// a mutating request changes nothing instead of hanging on a reconnect.
func (s *Service) available() error {
	if st := s.cfg.NC.Status(); st != nats.CONNECTED {
		return withMessage(ErrUnavailable, ErrUnavailable.Message, fmt.Errorf("%w: connection %s", bus.ErrUnavailable, st))
	}
	return nil
}

// natsErr classifies a failed NATS operation: connection trouble becomes
// ErrUnavailable (503, retry), anything else stays an internal error.
func (s *Service) natsErr(op string, err error) error {
	if s.cfg.NC.Status() != nats.CONNECTED || isConnErr(err) {
		return withMessage(ErrUnavailable, ErrUnavailable.Message, fmt.Errorf("%w: %s: %w", bus.ErrUnavailable, op, err))
	}
	return fmt.Errorf("sessions: %s: %w", op, err)
}

func isConnErr(err error) bool {
	for _, target := range []error{
		nats.ErrConnectionClosed, nats.ErrConnectionDraining, nats.ErrConnectionReconnecting,
		nats.ErrDisconnected, nats.ErrTimeout, nats.ErrNoResponders, nats.ErrNoServers,
		nats.ErrReconnectBufExceeded, jetstream.ErrNoStreamResponse,
		context.DeadlineExceeded, context.Canceled,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
