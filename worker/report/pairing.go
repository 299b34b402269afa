package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// PutPairing writes the linking material of a session (QR codes, a pair
// code, or a pair error), stamped with the current time, and returns its
// revision.
func (r *Reporter) PutPairing(ctx context.Context, tenant, id string, p session.Pairing) (uint64, error) {
	p.UpdatedAt = r.cfg.Now()
	b, err := json.Marshal(p)
	if err != nil {
		return 0, fmt.Errorf("report: encode pairing: %w", err)
	}
	rev, err := r.cfg.Pairing.Put(ctx, subject.SessionKey(tenant, id), b)
	if err != nil {
		return 0, fmt.Errorf("report: put pairing %s/%s: %w", tenant, id, err)
	}
	return rev, nil
}

// DeletePairing removes the linking material of a session; it is not an
// error when there is none.
func (r *Reporter) DeletePairing(ctx context.Context, tenant, id string) error {
	err := r.cfg.Pairing.Delete(ctx, subject.SessionKey(tenant, id))
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("report: delete pairing %s/%s: %w", tenant, id, err)
	}
	return nil
}
