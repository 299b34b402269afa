package worker

import (
	"context"
	"fmt"
	"time"

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

// attach gives dev its own LID map, and its privacy tokens a cache that
// the map's writes empty. A device loaded in bulk whose own pair the
// database holds (devstore.StoredOwnLID) writes nor reads that pair when it
// logs in.
func (m *lidMaps) attach(dev *store.Device) {
	tokens := newTokenCache()
	rf := readFirstLIDMap{CachedLIDMap: sqlstore.NewCachedLIDMap(m.db), none: newNoLIDs(), tokens: tokens}
	if own, ok := dev.LIDs.(devstore.StoredOwnLID); ok {
		rf.ownLID, rf.ownPN = own.LID, own.PN
	}
	dev.LIDs = rf
	if dev.PrivacyTokens != nil {
		if c, ok := dev.PrivacyTokens.(cachedTokens); ok { // attached before: unwrap
			dev.PrivacyTokens = c.PrivacyTokenStore
		}
		dev.PrivacyTokens = cachedTokens{dev.PrivacyTokens, tokens}
	}
}

// readFirstLIDMap reads a LID↔PN pair before storing it and writes only
// when the database does not hold it yet. whatsmeow stores the device's own
// pair on every login, into a map whose cache is empty after a restart: as
// a write transaction, every login of a restart queued for SQLite's single
// writer; as a read, they run side by side.
//
// It also remembers, for a while, the numbers the database holds no LID for
// (noLIDs): whatsmeow's map caches only the pairs it found, and asks the
// database again, under the map's write lock, for every message to a number
// without a LID.
type readFirstLIDMap struct {
	*sqlstore.CachedLIDMap
	none   *noLIDs
	tokens *tokenCache // privacy token lookups follow the map
	// ownLID and ownPN are the device's own pair as the database held it
	// when the device was loaded ("" when not known).
	ownLID, ownPN string
}

// PutLIDMapping stores lid↔pn unless the database already holds it.
func (m readFirstLIDMap) PutLIDMapping(ctx context.Context, lid, pn types.JID) error {
	if m.ownPN != "" && lid.User == m.ownLID && pn.User == m.ownPN {
		return nil
	}
	m.none.drop(pn.User)
	m.tokens.clear()
	if have, err := m.GetLIDForPN(ctx, pn); err == nil && !have.IsEmpty() && have.User == lid.User {
		return nil
	}
	return m.CachedLIDMap.PutLIDMapping(ctx, lid, pn)
}

// PutManyLIDMappings stores pairs; their numbers have a LID from now on.
func (m readFirstLIDMap) PutManyLIDMappings(ctx context.Context, pairs []store.LIDMapping) error {
	for _, p := range pairs {
		m.none.drop(p.PN.User)
	}
	m.tokens.clear()
	return m.CachedLIDMap.PutManyLIDMappings(ctx, pairs)
}

// GetLIDForPN answers "none" for a number recently found without a LID.
func (m readFirstLIDMap) GetLIDForPN(ctx context.Context, pn types.JID) (types.JID, error) {
	if _, none := m.none.get(pn.User); none && pn.Server == types.DefaultUserServer {
		return types.JID{}, nil
	}
	lid, err := m.CachedLIDMap.GetLIDForPN(ctx, pn)
	if err == nil && lid.IsEmpty() {
		m.none.put(pn.User, struct{}{})
	}
	return lid, err
}

// GetManyLIDsForPNs asks the database only for numbers not recently found
// without a LID.
func (m readFirstLIDMap) GetManyLIDsForPNs(ctx context.Context, pns []types.JID) (map[types.JID]types.JID, error) {
	ask := make([]types.JID, 0, len(pns))
	for _, pn := range pns {
		if _, none := m.none.get(pn.User); !none || pn.Server != types.DefaultUserServer {
			ask = append(ask, pn)
		}
	}
	got, err := m.CachedLIDMap.GetManyLIDsForPNs(ctx, ask)
	if err != nil {
		return got, err
	}
	for _, pn := range ask {
		if _, ok := got[pn]; !ok && pn.Server == types.DefaultUserServer {
			m.none.put(pn.User, struct{}{})
		}
	}
	return got, nil
}

// noLIDsTTL bounds how long a number is taken to have no LID without
// asking the database again: another session (or process) sharing the
// database may have stored its LID meanwhile. This session's own writes
// drop it at once. noLIDsMax bounds the numbers remembered.
const (
	noLIDsTTL = time.Minute
	noLIDsMax = 4096
)

// noLIDs is a session's set of numbers known to have no LID.
type noLIDs = expiring[string, struct{}]

func newNoLIDs() *noLIDs { return newExpiring[string, struct{}](noLIDsTTL, noLIDsMax) }
