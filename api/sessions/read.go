package sessions

import (
	"github.com/switchboard-gw/switchboard/shared/session"
)

// Pagination bounds of List.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Get returns tenant's session id from the mirror.
func (s *Service) Get(tenant, id string) (session.Record, error) {
	if !session.ValidID(id) {
		return session.Record{}, ErrInvalidID
	}
	rec, _, ok := s.cfg.Mirror.Session(tenant, id)
	if !ok {
		return session.Record{}, ErrNotFound
	}
	return rec, nil
}

// List returns one page of tenant's sessions (sorted by creation time, then
// id) and their total. limit is clamped to 1..MaxLimit.
func (s *Service) List(tenant string, offset, limit int) ([]session.Record, int) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	return s.cfg.Mirror.List(tenant, max(offset, 0), limit)
}

// QR returns the session and its current QR codes; codes is empty when
// none are pending (or the device is logged in).
func (s *Service) QR(tenant, id string) (rec session.Record, p session.Pairing, err error) {
	rec, err = s.Get(tenant, id)
	if err != nil {
		return rec, p, err
	}
	p, ok := s.cfg.Mirror.Pairing(tenant, id)
	if !ok || rec.State.Status.LoggedIn() {
		return rec, session.Pairing{}, nil
	}
	return rec, p, nil
}

// Device returns the session when a device is linked to it.
func (s *Service) Device(tenant, id string) (session.Record, error) {
	rec, err := s.Get(tenant, id)
	if err != nil {
		return rec, err
	}
	if rec.State.DeviceJID == "" && rec.State.DeviceID == 0 {
		return rec, ErrDeviceNotLinked
	}
	return rec, nil
}
