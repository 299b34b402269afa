package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"go.mau.fi/whatsmeow/util/keys"
)

// insertPreKeys stores generated pre-keys (not yet uploaded) with one
// INSERT of many rows. The caller holds preKeyLock.
//
// Switchboard patch: upstream inserts the 50 keys of an upload one
// statement at a time (genOnePreKey), a database round trip each: 4.6 %
// of a linking gateway's CPU.
func (s *SQLStore) insertPreKeys(ctx context.Context, generated []*keys.PreKey) error {
	if len(generated) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString("INSERT INTO whatsmeow_pre_keys (jid, key_id, key, uploaded) VALUES ")
	args := make([]any, 0, 1+2*len(generated))
	args = append(args, s.JID)
	for i, k := range generated {
		if i > 0 {
			q.WriteByte(',')
		}
		fmt.Fprintf(&q, "($1, $%d, $%d, false)", 2+2*i, 3+2*i)
		args = append(args, k.KeyID, k.Priv[:])
	}
	_, err := s.db.Exec(ctx, q.String(), args...)
	return err
}
