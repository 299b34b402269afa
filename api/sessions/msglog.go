package sessions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/switchboard-gw/switchboard/shared/msglog"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// ListMessages pages through a session's message log, newest first. It
// answers an empty page when the session does not log messages. The log
// lives in the workers' database; any worker answers the request.
func (s *Service) ListMessages(ctx context.Context, tenant, id string, req msglog.ListRequest) (msglog.ListReply, error) {
	rec, err := s.Get(tenant, id)
	if err != nil {
		return msglog.ListReply{}, err
	}
	if !rec.Config.MessageLogging {
		return msglog.ListReply{Messages: []msglog.Entry{}}, nil
	}
	var reply msglog.ListReply
	if err := s.askLog(ctx, msglog.VerbList, tenant, id, req, &reply); err != nil {
		return msglog.ListReply{}, err
	}
	if reply.Error != "" {
		return msglog.ListReply{}, withMessage(ErrUnavailable, "message log unavailable, retry later", errors.New(reply.Error))
	}
	if reply.Messages == nil {
		reply.Messages = []msglog.Entry{}
	}
	return reply, nil
}

// EraseMessages deletes a session's whole message log.
func (s *Service) EraseMessages(ctx context.Context, tenant, id string) (int64, error) {
	if _, err := s.Get(tenant, id); err != nil {
		return 0, err
	}
	var reply msglog.EraseReply
	if err := s.askLog(ctx, msglog.VerbErase, tenant, id, struct{}{}, &reply); err != nil {
		return 0, err
	}
	if reply.Error != "" {
		return 0, withMessage(ErrUnavailable, "message log unavailable, retry later", errors.New(reply.Error))
	}
	return reply.Deleted, nil
}

// askLog sends a message-log request to the workers and decodes the reply.
func (s *Service) askLog(ctx context.Context, verb, tenant, id string, req, reply any) error {
	if err := s.available(); err != nil {
		return err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("sessions: encode log request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
	defer cancel()
	m, err := s.cfg.NC.RequestWithContext(ctx, subject.MsgLog(verb, tenant, id), body)
	if errors.Is(err, nats.ErrNoResponders) {
		return withMessage(ErrUnavailable, "no worker answers for the message log, retry later", err)
	}
	if err != nil {
		return s.natsErr("message log request", err)
	}
	if err := json.Unmarshal(m.Data, reply); err != nil {
		return fmt.Errorf("sessions: decode log reply: %w", err)
	}
	return nil
}
