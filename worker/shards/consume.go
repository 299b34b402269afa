package shards

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/worker/report"
	"github.com/switchboard-gw/switchboard/worker/sessions"
)

// Redelivery delays of commands that could not be applied now.
const (
	fencedRetry = time.Second
	errorRetry  = 2 * time.Second
)

// consume starts the consumer callback.
func (s *Shard) consume(ctx context.Context, cons jetstream.Consumer) (jetstream.ConsumeContext, error) {
	for {
		cc, err := cons.Consume(func(msg jetstream.Msg) { s.onMsg(ctx, msg) },
			jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
				if ctx.Err() == nil {
					s.log.Debug("consume error", zap.Error(err))
				}
			}))
		if err == nil {
			return cc, nil
		}
		s.log.Warn("consume failed", zap.Error(err))
		if !sleep(ctx, retryWait) {
			return nil, ctx.Err()
		}
	}
}

// onMsg routes one command to its session's actor; the message is settled
// when the actor is done with it. A redelivery of a command still being
// applied only extends its deadline.
func (s *Shard) onMsg(ctx context.Context, msg jetstream.Msg) {
	if ctx.Err() != nil {
		_ = msg.Nak() // stopping: the next owner applies it
		return
	}
	meta, err := msg.Metadata()
	if err != nil {
		s.log.Warn("command without metadata", zap.Error(err))
		_ = msg.Term()
		return
	}
	cmd, err := command.Decode(msg.Data())
	if err == nil {
		err = fromSubject(msg.Subject(), &cmd)
	}
	if err != nil {
		s.log.Warn("malformed command dropped", zap.String("subject", msg.Subject()), zap.Error(err))
		_ = msg.TermWithReason("malformed")
		return
	}
	seq := meta.Sequence.Stream
	s.mu.Lock()
	if _, dup := s.inflight[seq]; dup {
		s.mu.Unlock()
		_ = msg.InProgress()
		return
	}
	s.inflight[seq] = msg
	s.mu.Unlock()
	a := s.actor(ctx, cmd.Tenant, cmd.Session, report.Snapshot{})
	a.Command(cmd, func(err error) { s.settle(seq, msg, cmd, err) })
}

// settle acknowledges or refuses a command after its actor is done.
func (s *Shard) settle(seq uint64, msg jetstream.Msg, cmd command.Command, err error) {
	s.mu.Lock()
	delete(s.inflight, seq)
	s.mu.Unlock()
	fields := []zap.Field{zap.String("tenant", cmd.Tenant), zap.String("session", cmd.Session),
		zap.String("verb", string(cmd.Verb)), zap.String("command", cmd.ID)}
	switch {
	case err == nil:
		err = msg.Ack()
	case errors.Is(err, sessions.ErrGone):
		s.log.Info("command for unknown session dropped", fields...)
		err = msg.Ack()
	case errors.Is(err, sessions.ErrClosed):
		err = msg.Nak()
	case errors.Is(err, report.ErrFenced):
		err = msg.NakWithDelay(fencedRetry)
	default:
		s.log.Warn("command failed, redelivering", append(fields, zap.Error(err))...)
		err = msg.NakWithDelay(errorRetry)
	}
	if err != nil {
		s.log.Debug("command settle failed", append(fields, zap.Error(err))...)
	}
}

// fromSubject fills the tenant and session of cmd from its subject
// wa.cmd.<shard>.<tenant>.<session>.<verb> when the body leaves them out,
// and refuses a body that names another session or verb.
func fromSubject(subj string, cmd *command.Command) error {
	tok := strings.Split(subj, ".")
	if len(tok) != 6 {
		return errors.New("unexpected subject")
	}
	if cmd.Tenant == "" {
		cmd.Tenant = tok[3]
	}
	if cmd.Session == "" {
		cmd.Session = tok[4]
	}
	if tok[3] != cmd.Tenant || tok[4] != cmd.Session || tok[5] != string(cmd.Verb) {
		return errors.New("subject and body disagree")
	}
	return nil
}
