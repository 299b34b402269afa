package sessions

import (
	"context"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/session"
)

// ActionResult is what a lifecycle action returns: the record as written
// and the id of the published command.
type ActionResult struct {
	Session   session.Record
	CommandID string
}

// Connect sets Desired=running and publishes start.
func (s *Service) Connect(ctx context.Context, tenant, id, idemKey string) (ActionResult, error) {
	return s.act(ctx, tenant, id, idemKey, command.Start, setDesired(session.DesiredRunning), false)
}

// Disconnect sets Desired=stopped and publishes stop; the device stays linked.
func (s *Service) Disconnect(ctx context.Context, tenant, id, idemKey string) (ActionResult, error) {
	return s.act(ctx, tenant, id, idemKey, command.Stop, setDesired(session.DesiredStopped), false)
}

// Restart sets Desired=running and publishes restart.
func (s *Service) Restart(ctx context.Context, tenant, id, idemKey string) (ActionResult, error) {
	return s.act(ctx, tenant, id, idemKey, command.Restart, setDesired(session.DesiredRunning), false)
}

// RestartStopped is the WASend restart (seed 004): it restarts only a
// session in a stopped or error state (WASend CREATED, STOPPED or FAILED)
// and refuses a running one (STARTING, SCAN_QR_CODE, WORKING) with
// ErrSessionRunning, writing and publishing nothing. The check and the
// desired-state write are one compare-and-set, so a status written by the
// worker in between makes it re-check.
func (s *Service) RestartStopped(ctx context.Context, tenant, id, idemKey string) (ActionResult, error) {
	return s.act(ctx, tenant, id, idemKey, command.Restart, restartable, false)
}

// restartable refuses a running session, else sets Desired=running.
func restartable(rec *session.Record) (bool, error) {
	switch rec.State.Status.WASend() {
	case string(session.StatusStarting), string(session.StatusScanQR), string(session.StatusWorking):
		return false, ErrSessionRunning
	}
	return setDesired(session.DesiredRunning)(rec)
}

// Logout publishes logout, which unlinks the device; the session stays.
func (s *Service) Logout(ctx context.Context, tenant, id, idemKey string) (ActionResult, error) {
	return s.act(ctx, tenant, id, idemKey, command.Logout, unchanged, false)
}

// Delete sets Desired=deleted, which hides the session from readers at
// once, and publishes delete; the worker removes the record. A repeated
// Delete of a session still being deleted publishes delete again and
// succeeds, so a client can retry after a failed publish.
func (s *Service) Delete(ctx context.Context, tenant, id, idemKey string) (ActionResult, error) {
	return s.act(ctx, tenant, id, idemKey, command.Delete, setDesired(session.DesiredDeleted), true)
}

// act validates, writes the desired state, then publishes the command. A
// failed publish answers ErrUnavailable and leaves the (idempotent) desired
// state written: the client retries, with the same Idempotency-Key the
// command still goes out once.
func (s *Service) act(ctx context.Context, tenant, id, idemKey string, verb command.Verb, mutate mutation, allowDeleted bool) (ActionResult, error) {
	if !session.ValidID(id) {
		return ActionResult{}, ErrInvalidID
	}
	if err := validIdempotencyKey(idemKey); err != nil {
		return ActionResult{}, err
	}
	if err := s.available(); err != nil {
		return ActionResult{}, err
	}
	rec, err := s.update(ctx, tenant, id, allowDeleted, mutate)
	if err != nil {
		return ActionResult{}, err
	}
	cmd := s.newCommand(tenant, id, verb, idemKey)
	if err := s.publish(ctx, cmd); err != nil {
		return ActionResult{}, err
	}
	return ActionResult{Session: rec, CommandID: cmd.ID}, nil
}
