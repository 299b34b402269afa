package mirror

import (
	"context"
	"fmt"

	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// Session returns the visible record of tenant's session id and its
// revision. Records being deleted (Desired=deleted) are not visible. The
// status is the one the api may show (see truthful), not always the stored
// one.
func (m *Mirror) Session(tenant, id string) (session.Record, uint64, bool) {
	e, ok := m.sessions.get(subject.SessionKey(tenant, id))
	if !ok || !e.visible() {
		return session.Record{}, 0, false
	}
	return m.truthful(e.rec), e.rev, true
}

// List returns one page of tenant's visible sessions, sorted by creation
// time then id, and the total number of them, with the statuses the api
// may show.
func (m *Mirror) List(tenant string, offset, limit int) ([]session.Record, int) {
	recs, total := m.sessions.page(tenant, offset, limit)
	for i := range recs {
		recs[i] = m.truthful(recs[i])
	}
	return recs, total
}

// NameTaken reports whether another visible session of tenant than id
// carries name.
func (m *Mirror) NameTaken(tenant, name, id string) bool {
	return m.sessions.nameTaken(tenant, name, id)
}

// Put records a session this api just wrote at revision rev, so the writer's
// next read sees it (read-your-writes). A newer mirrored revision wins.
func (m *Mirror) Put(rec session.Record, rev uint64) {
	m.sessions.put(rec, rev)
}

// Forget hides tenant's session id if the mirror still holds revision rev;
// the api calls it after deleting a record it created (rollback).
func (m *Mirror) Forget(tenant, id string, rev uint64) {
	m.sessions.forget(subject.SessionKey(tenant, id), rev)
}

// Pairing returns the unexpired pairing entry of tenant's session id.
func (m *Mirror) Pairing(tenant, id string) (session.Pairing, bool) {
	return m.pairing.get(subject.SessionKey(tenant, id))
}

// WaitPairing blocks until the pairing entry of tenant's session id
// satisfies done, or ctx ends.
func (m *Mirror) WaitPairing(ctx context.Context, tenant, id string, done func(session.Pairing) bool) (session.Pairing, error) {
	p, err := m.pairing.wait(ctx, subject.SessionKey(tenant, id), done)
	if err != nil {
		return p, fmt.Errorf("mirror: wait pairing: %w", err)
	}
	return p, nil
}
