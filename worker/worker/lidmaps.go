package worker

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/stdlib"
	"go.mau.fi/util/dbutil"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"

	"github.com/switchboard-gw/switchboard/shared/devstore"
)

// lidMaps gives every session's device a LID map of its own (cache and
// lock) over the shared database. whatsmeow's container shares one map per
// process and holds its lock across a database transaction on every login
// (a device's own LID↔PN row is rewritten each time): with one map, a
// takeover of a thousand sessions logs them in one transaction at a time.
type lidMaps struct {
	db *dbutil.Database
}

func newLIDMaps(ds *devstore.Store) (*lidMaps, error) {
	dialect := "sqlite"
	if _, ok := ds.DB().Driver().(*stdlib.Driver); ok {
		dialect = "postgres"
	}
	db, err := dbutil.NewWithDB(ds.DB(), dialect)
	if err != nil {
		return nil, fmt.Errorf("worker: lid maps: %w", err)
	}
	return &lidMaps{db: db}, nil
}

// attach gives dev its own LID map. A device loaded in bulk whose own pair
// the database holds (devstore.StoredOwnLID) writes nor reads that pair
// when it logs in.
func (m *lidMaps) attach(dev *store.Device) {
	rf := readFirstLIDMap{CachedLIDMap: sqlstore.NewCachedLIDMap(m.db)}
	if own, ok := dev.LIDs.(devstore.StoredOwnLID); ok {
		rf.ownLID, rf.ownPN = own.LID, own.PN
	}
	dev.LIDs = rf
}

// readFirstLIDMap reads a LID↔PN pair before storing it and writes only
// when the database does not hold it yet. whatsmeow stores the device's own
// pair on every login, into a map whose cache is empty after a restart: as
// a write transaction, every login of a restart queued for SQLite's single
// writer; as a read, they run side by side.
type readFirstLIDMap struct {
	*sqlstore.CachedLIDMap
	// ownLID and ownPN are the device's own pair as the database held it
	// when the device was loaded ("" when not known).
	ownLID, ownPN string
}

// PutLIDMapping stores lid↔pn unless the database already holds it.
func (m readFirstLIDMap) PutLIDMapping(ctx context.Context, lid, pn types.JID) error {
	if m.ownPN != "" && lid.User == m.ownLID && pn.User == m.ownPN {
		return nil
	}
	if have, err := m.GetLIDForPN(ctx, pn); err == nil && !have.IsEmpty() && have.User == lid.User {
		return nil
	}
	return m.CachedLIDMap.PutLIDMapping(ctx, lid, pn)
}
