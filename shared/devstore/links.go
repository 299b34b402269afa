package devstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
)

const (
	linkQuery = `
		INSERT INTO switchboard_session_devices (tenant, session, device_jid, linked_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant, session) DO UPDATE
			SET device_jid=excluded.device_jid, linked_at=excluded.linked_at`
	unlinkQuery = `DELETE FROM switchboard_session_devices WHERE tenant=$1 AND session=$2`
	// linkedQuery reads the linked device and its sealed keys (NULL when not
	// sealed) in one statement: a restart loads thousands of devices.
	linkedQuery = `
		SELECT l.device_jid, k.sealed FROM switchboard_session_devices l
		LEFT JOIN switchboard_device_keys k ON k.device_jid = l.device_jid
		WHERE l.tenant=$1 AND l.session=$2`
)

// Link records that tenant/session is linked to the device jid, replacing an
// earlier link.
func (s *Store) Link(ctx context.Context, tenant, session string, jid types.JID) error {
	if jid.IsEmpty() {
		return errors.New("devstore: link: empty device jid")
	}
	if _, err := s.ours.Exec(ctx, linkQuery, tenant, session, jid.String(), time.Now().UnixMilli()); err != nil {
		return fmt.Errorf("devstore: link: %w", err)
	}
	return nil
}

// Unlink forgets the link of tenant/session; it is not an error when there is
// none.
func (s *Store) Unlink(ctx context.Context, tenant, session string) error {
	if _, err := s.ours.Exec(ctx, unlinkQuery, tenant, session); err != nil {
		return fmt.Errorf("devstore: unlink: %w", err)
	}
	return nil
}

// DeviceFor loads the device linked to tenant/session. It returns nil, nil
// when there is no link or when the device row is gone (whatsmeow deletes it
// when the phone logs the device out).
func (s *Store) DeviceFor(ctx context.Context, tenant, session string) (*store.Device, error) {
	var (
		raw    string
		sealed []byte
	)
	err := s.ours.QueryRow(ctx, linkedQuery, tenant, session).Scan(&raw, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("devstore: device for session: %w", err)
	}
	jid, err := types.ParseJID(raw)
	if err != nil {
		return nil, fmt.Errorf("devstore: linked jid: %w", err)
	}
	dev, err := s.container.GetDevice(ctx, jid)
	if err != nil {
		return nil, fmt.Errorf("devstore: get device: %w", err)
	}
	if dev == nil {
		return nil, nil
	}
	if err := s.unseal(ctx, dev, sealed); err != nil {
		return nil, err
	}
	s.wrapStores(dev)
	return dev, nil
}
