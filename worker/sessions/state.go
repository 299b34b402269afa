package sessions

import (
	"errors"
	"strconv"

	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/report"
)

// load reads the record on first use.
func (s *Session) load() error {
	if s.loaded {
		return nil
	}
	ctx, cancel := s.opCtx()
	defer cancel()
	snap, err := s.deps.Reporter.Load(ctx, s.tenant, s.id)
	if errors.Is(err, report.ErrGone) {
		s.markGone()
		return ErrGone
	} else if err != nil {
		return err
	}
	s.snap, s.loaded = snap, true
	s.want = snap.Record.Desired == session.DesiredRunning
	s.statusNow.Store(snap.Record.State.Status)
	return nil
}

// status is the last written status.
func (s *Session) status() session.Status { return s.snap.Record.State.Status }

// write applies fn to the observed state and writes it (fenced CAS). A
// status change is published as an event. Losing the fence drops the
// client at once: another worker owns the session now.
func (s *Session) write(fn func(*session.State)) error {
	ctx, cancel := s.opCtx()
	defer cancel()
	prev, err := s.deps.Reporter.UpdateState(ctx, s.fence, &s.snap, fn)
	switch {
	case errors.Is(err, report.ErrFenced):
		s.logger().Warn("session fenced by a newer owner", zap.Uint64("epoch", s.fence.Epoch))
		s.fenced = true
		s.dropClient()
		return err
	case errors.Is(err, report.ErrGone):
		s.markGone()
		return ErrGone
	case err != nil:
		return err
	}
	s.noteLiveness()
	cur := s.snap.Record.State
	s.statusNow.Store(cur.Status)
	if cur.Status != prev.Status {
		s.publish(event.StatusChanged, strconv.FormatUint(s.snap.Revision, 10), event.Status{
			Status: string(cur.Status), Previous: string(prev.Status), LastError: cur.LastError,
		})
	}
	s.publishPushName(prev, cur)
	return nil
}

// setStatus writes a status and last error, keeping the other fields.
func (s *Session) setStatus(st session.Status, lastError string) error {
	return s.write(func(x *session.State) {
		x.Status, x.LastError = st, lastError
	})
}

// publish sends an event; a failure is logged, not returned: the state in
// KV stays the source of truth.
func (s *Session) publish(typ event.Type, occurrence string, data any) {
	ctx, cancel := s.opCtx()
	defer cancel()
	id := report.EventID(s.tenant, s.id, typ, occurrence)
	if err := s.deps.Reporter.Publish(ctx, s.tenant, s.id, typ, id, data); err != nil {
		s.warn("event publish failed", zap.String("type", string(typ)), zap.Error(err))
	}
}

// markGone records that the session's record does not exist and tells the
// shard, which forgets the actor.
func (s *Session) markGone() {
	s.gone = true
	s.dropClient()
	if s.onGone != nil {
		s.onGone(s)
	}
}

// setDevice fills the device fields of x from a device JID and LID.
func setDevice(x *session.State, jid, lid types.JID) {
	x.DeviceJID = jid.String()
	x.DeviceID = int(jid.Device)
	x.PhoneNumber = jid.User
	if !lid.IsEmpty() {
		x.LID = lid.String()
	}
}

// clearDevice empties the device fields of x.
func clearDevice(x *session.State) {
	x.DeviceJID, x.DeviceID, x.LID, x.PhoneNumber, x.PushName = "", 0, "", "", ""
}

// clearPairing removes the session's linking material.
func (s *Session) clearPairing() {
	ctx, cancel := s.opCtx()
	defer cancel()
	if err := s.deps.Reporter.DeletePairing(ctx, s.tenant, s.id); err != nil {
		s.warn("pairing delete failed", zap.Error(err))
		return
	}
	s.pairingSet = false
}

// putPairing writes linking material and returns its revision (0 on
// failure, which is logged).
func (s *Session) putPairing(p session.Pairing) uint64 {
	ctx, cancel := s.opCtx()
	defer cancel()
	rev, err := s.deps.Reporter.PutPairing(ctx, s.tenant, s.id, p)
	if err != nil {
		s.warn("pairing write failed", zap.Error(err))
		return 0
	}
	s.pairingSet = true
	return rev
}

// warn logs a failed side write; while the session is closing (its shard
// is being handed over) such failures are expected and logged at debug.
func (s *Session) warn(msg string, fields ...zap.Field) {
	if s.ctx.Err() != nil {
		s.logger().Debug(msg, fields...)
		return
	}
	s.logger().Warn(msg, fields...)
}
