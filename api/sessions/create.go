package sessions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// CreateInput is a create request, already decoded by a surface.
type CreateInput struct {
	// ID is the client's session id; empty generates one.
	ID string
	// Config is the client's configuration, validated by Create.
	Config session.Config
	// IdempotencyKey, when set, scopes the start command's id.
	IdempotencyKey string
	// Stopped creates the session without starting it: status CREATED,
	// Desired=stopped and no command (the WASend surface, where a session
	// starts with an explicit start call).
	Stopped bool
}

// idemNamespace derives session ids from idempotency keys (UUID v5), so a
// repeated create without an id names the same session.
var idemNamespace = uuid.MustParse("6f1d8a52-3f0e-4c0e-9a57-5b7c3c1f2e90")

// Create stores a new session record (Desired=running, status STARTING)
// with a KV create, so a duplicate id within the tenant fails, and
// publishes start. When the publish fails the record is deleted again
// (compare-and-delete on its revision) and ErrUnavailable is returned, so
// the client can simply retry the create.
//
// With an Idempotency-Key, a repeated create returns the session the first
// one made (replayed true) instead of a second session or a conflict.
func (s *Service) Create(ctx context.Context, tenant string, in CreateInput) (rec session.Record, replayed bool, err error) {
	if err := validIdempotencyKey(in.IdempotencyKey); err != nil {
		return session.Record{}, false, err
	}
	id := in.ID
	switch {
	case id == "" && in.IdempotencyKey != "":
		id = uuid.NewSHA1(idemNamespace, []byte(tenant+"/"+in.IdempotencyKey)).String()
	case id == "":
		id = uuid.NewString()
	case !session.ValidID(id):
		return session.Record{}, false, ErrInvalidID
	}
	cfg, err := normalizeConfig(in.Config)
	if err != nil {
		return session.Record{}, false, err
	}
	if err := s.guardWebhooks(cfg.Webhooks); err != nil {
		return session.Record{}, false, err
	}
	if err := s.available(); err != nil {
		return session.Record{}, false, err
	}
	now := s.now()
	rec = session.Record{
		Tenant:    tenant,
		ID:        id,
		Config:    cfg,
		Desired:   session.DesiredRunning,
		State:     session.State{Status: session.StatusStarting, UpdatedAt: now},
		CreatedAt: now,
		UpdatedAt: now,
	}
	if in.Stopped {
		rec.Desired, rec.State.Status = session.DesiredStopped, session.StatusCreated
	}
	if in.IdempotencyKey != "" {
		rec.CreateKey = createKey(in.IdempotencyKey)
	}
	rev, err := s.store(ctx, rec)
	if errors.Is(err, ErrExists) && rec.CreateKey != "" {
		if prev, ok := s.replay(ctx, tenant, id, rec.CreateKey); ok {
			return prev, true, nil
		}
	}
	if err != nil {
		return session.Record{}, false, err
	}
	if in.Stopped {
		return rec, false, nil
	}
	cmd := s.newCommand(tenant, id, command.Start, in.IdempotencyKey)
	if err := s.publish(ctx, cmd); err != nil {
		s.rollback(ctx, rec, rev)
		return session.Record{}, false, err
	}
	return rec, false, nil
}

// createKey is what a record keeps of its create's Idempotency-Key.
func createKey(k string) string {
	sum := sha256.Sum256([]byte(k))
	return hex.EncodeToString(sum[:])
}

// replay returns the live record id of tenant when it was created with the
// same idempotency key.
func (s *Service) replay(ctx context.Context, tenant, id, key string) (session.Record, bool) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
	defer cancel()
	entry, err := s.cfg.Sessions.Get(ctx, subject.SessionKey(tenant, id))
	if err != nil {
		return session.Record{}, false
	}
	rec, err := s.cfg.Codec.Decode(entry.Value())
	if err != nil || rec.CreateKey != key || rec.Desired == session.DesiredDeleted {
		return session.Record{}, false
	}
	return rec, true
}

// store checks the name and creates the record, under createMu so that two
// creates in this process cannot take the same name. (Two api processes
// may still race on a name; ids are unique by the KV create.) A create
// without a name has nothing to check and does not wait for the lock: with
// it, every create of the process queued behind one KV round trip at a time.
func (s *Service) store(ctx context.Context, rec session.Record) (uint64, error) {
	body, err := s.cfg.Codec.Encode(rec)
	if err != nil {
		return 0, fmt.Errorf("sessions: %w", err)
	}
	if rec.Config.Name != "" {
		s.createMu.Lock()
		defer s.createMu.Unlock()
		if s.cfg.Mirror.NameTaken(rec.Tenant, rec.Config.Name, rec.ID) {
			return 0, ErrNameExists
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
	defer cancel()
	rev, err := s.cfg.Sessions.Create(ctx, subject.SessionKey(rec.Tenant, rec.ID), body)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, withMessage(ErrExists, "a session with this id already exists (or is still being deleted)", nil)
	}
	if err != nil {
		return 0, s.natsErr("create session", err)
	}
	s.cfg.Mirror.Put(rec, rev)
	return rev, nil
}

// rollback deletes a just-created record whose start command could not be
// published. If that fails too (NATS is down), the record stays in
// STARTING, where the scheduler's stuck-in-STARTING audit restarts it.
func (s *Service) rollback(ctx context.Context, rec session.Record, rev uint64) {
	// Detached: the request may be ending, the cleanup should still run.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.OpTimeout)
	defer cancel()
	err := s.cfg.Sessions.Delete(ctx, subject.SessionKey(rec.Tenant, rec.ID), jetstream.LastRevision(rev))
	if err != nil {
		s.log.Error("rollback of created session failed", zap.String("tenant", rec.Tenant),
			zap.String("session", rec.ID), zap.Uint64("revision", rev), zap.Error(err))
		return
	}
	s.cfg.Mirror.Forget(rec.Tenant, rec.ID, rev)
}
