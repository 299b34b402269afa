package sessions

import (
	"context"
	"fmt"

	"github.com/switchboard-gw/switchboard/shared/session"
)

// Pace bounds a client may set per session.
const (
	maxMessageRate  = 100.0
	maxMessageBurst = 100
)

// PatchInput changes parts of a session's configuration; nil fields stay.
type PatchInput struct {
	Name              *string
	MessageLogging    *bool
	AccountProtection *bool
	Webhooks          *[]session.Webhook
	MessageRate       *float64
	MessageBurst      *int
}

// Patch changes the configuration of an existing session (compare-and-set
// on its record). The worker reads the new values for the next message.
func (s *Service) Patch(ctx context.Context, tenant, id string, in PatchInput) (session.Record, error) {
	if !session.ValidID(id) {
		return session.Record{}, ErrInvalidID
	}
	if in.MessageRate != nil && (*in.MessageRate < 0 || *in.MessageRate > maxMessageRate) {
		return session.Record{}, invalid(fmt.Sprintf(`"message_rate" must be between 0 and %g messages per second`, maxMessageRate))
	}
	if in.MessageBurst != nil && (*in.MessageBurst < 0 || *in.MessageBurst > maxMessageBurst) {
		return session.Record{}, invalid(fmt.Sprintf(`"message_burst" must be between 0 and %d`, maxMessageBurst))
	}
	if err := s.available(); err != nil {
		return session.Record{}, err
	}
	s.createMu.Lock()
	defer s.createMu.Unlock()
	return s.update(ctx, tenant, id, false, func(rec *session.Record) (bool, error) {
		cfg := rec.Config
		if in.Name != nil {
			cfg.Name = *in.Name
		}
		if in.MessageLogging != nil {
			cfg.MessageLogging = *in.MessageLogging
		}
		if in.AccountProtection != nil {
			cfg.AccountProtection = *in.AccountProtection
		}
		if in.Webhooks != nil {
			cfg.Webhooks = *in.Webhooks
		}
		if in.MessageRate != nil {
			cfg.MessageRate = *in.MessageRate
		}
		if in.MessageBurst != nil {
			cfg.MessageBurst = *in.MessageBurst
		}
		cfg, err := normalizeConfig(cfg)
		if err != nil {
			return false, err
		}
		if cfg.Name != "" && cfg.Name != rec.Config.Name && s.cfg.Mirror.NameTaken(tenant, cfg.Name, id) {
			return false, ErrNameExists
		}
		rec.Config = cfg
		return true, nil
	})
}
