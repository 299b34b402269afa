package devstore

import (
	"context"
	"fmt"
	"time"
)

const (
	// forgetDeviceQuery deletes the device linked to a session; whatsmeow's
	// key tables (identity, pre-keys, Signal sessions, sender keys, app
	// state keys, …) cascade from whatsmeow_device.
	forgetDeviceQuery = `
		DELETE FROM whatsmeow_device WHERE jid IN
			(SELECT device_jid FROM switchboard_session_devices WHERE tenant=$1 AND session=$2)`
	orphansQuery = `
		SELECT jid FROM whatsmeow_device
		WHERE NOT EXISTS (SELECT 1 FROM switchboard_session_devices l WHERE l.device_jid = whatsmeow_device.jid)`
	deleteOrphanQuery = `
		DELETE FROM whatsmeow_device
		WHERE jid=$1 AND NOT EXISTS (SELECT 1 FROM switchboard_session_devices l WHERE l.device_jid=$1)`
)

// Forget deletes the device linked to tenant/session, with all its keys,
// and then the link. It does not depend on whatsmeow having deleted the
// device itself (a remote logout races whatsmeow's own delete with the
// disconnect); no link or no device is not an error.
func (s *Store) Forget(ctx context.Context, tenant, session string) error {
	if _, err := s.ours.Exec(ctx, forgetKeysQuery, tenant, session); err != nil {
		return fmt.Errorf("devstore: delete device keys: %w", err)
	}
	if _, err := s.ours.Exec(ctx, forgetDeviceQuery, tenant, session); err != nil {
		return fmt.Errorf("devstore: delete device: %w", err)
	}
	return s.Unlink(ctx, tenant, session)
}

// Orphans lists the devices that no session links to.
func (s *Store) Orphans(ctx context.Context) ([]string, error) {
	rows, err := s.ours.Query(ctx, orphansQuery)
	if err != nil {
		return nil, fmt.Errorf("devstore: orphans: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var jid string
		if err := rows.Scan(&jid); err != nil {
			return nil, fmt.Errorf("devstore: orphans: %w", err)
		}
		out = append(out, jid)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("devstore: orphans: %w", err)
	}
	return out, nil
}

// SweepOrphans deletes devices that no session links to: devices left by a
// logout whose delete failed, or by a crash between pairing and linking.
// A device is saved by whatsmeow a moment before the worker links it, so
// only devices that were orphans at the start and still are after grace
// are deleted. It returns how many were deleted.
func (s *Store) SweepOrphans(ctx context.Context, grace time.Duration) (int, error) {
	// Sealed keys of devices that are gone, whoever deleted them.
	if _, err := s.ours.Exec(ctx, orphanKeysQuery); err != nil {
		return 0, fmt.Errorf("devstore: sweep device keys: %w", err)
	}
	first, err := s.Orphans(ctx)
	if err != nil || len(first) == 0 {
		return 0, err
	}
	if grace > 0 {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("devstore: sweep orphans: %w", ctx.Err())
		case <-t.C:
		}
	}
	n := 0
	for _, jid := range first {
		res, err := s.ours.Exec(ctx, deleteOrphanQuery, jid)
		if err != nil {
			return n, fmt.Errorf("devstore: delete orphan: %w", err)
		}
		if k, _ := res.RowsAffected(); k > 0 {
			n++
		}
	}
	return n, nil
}
