// Package devstore opens the database that keeps whatsmeow device keys and
// Switchboard's own durable tables, upgrades its schema once, and records
// which device each session is linked to.
//
// URLs are sqlite:PATH (pure-Go modernc.org/sqlite, foreign keys, WAL, busy
// timeout) or postgres://… (pgx v5). Device keys are secrets: nothing in this
// package logs them.
package devstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"go.mau.fi/util/dbutil"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/store/sqlstore/upgrades"
	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/switchboard-gw/switchboard/shared/devstore/walog"
	"github.com/switchboard-gw/switchboard/shared/secretbox"
)

// whatsmeowVersionTable is whatsmeow's schema version table (as
// sqlstore.NewWithDB names it).
const whatsmeowVersionTable = "whatsmeow_version"

// Pool sizes. SQLite serialises writers anyway; Postgres connections are
// shared by every client of a worker.
const (
	postgresMaxConns = 20
	sqliteMaxConns   = 8
	connMaxIdleTime  = 5 * time.Minute
)

// Links records the session↔device link. The worker depends on this rather
// than on *Store.
type Links interface {
	// Link records that tenant/session is linked to the device jid.
	Link(ctx context.Context, tenant, session string, jid types.JID) error
	// Unlink forgets the link of tenant/session (no error when none).
	Unlink(ctx context.Context, tenant, session string) error
	// Forget deletes the linked device with its keys, then the link (no
	// error when there is none).
	Forget(ctx context.Context, tenant, session string) error
	// DeviceFor loads the linked device of tenant/session, or nil when the
	// session has no link or its device is gone.
	DeviceFor(ctx context.Context, tenant, session string) (*store.Device, error)
	// DevicesFor loads the linked devices of many sessions at once; a
	// session whose device DeviceFor would not return is absent.
	DevicesFor(ctx context.Context, refs []SessionRef) (map[SessionRef]*store.Device, error)
	// NewDevice returns a fresh, unsaved device for linking.
	NewDevice() *store.Device
}

var _ Links = (*Store)(nil)

// Store is an open device database.
type Store struct {
	db        *sql.DB
	ours      *dbutil.Database
	container *sqlstore.Container
	log       *zap.Logger
	// box seals device private keys (SetBox); nil keeps them as whatsmeow
	// writes them.
	box *secretbox.Box
}

// Open opens the database at databaseURL, runs whatsmeow's and Switchboard's
// schema upgrades (on Postgres under an advisory lock, so workers starting
// together do not race) and returns the store.
func Open(ctx context.Context, databaseURL string, log *zap.Logger) (*Store, error) {
	t, err := parseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	log = log.Named("devstore")
	if !t.isPostgres() {
		if err := privateSQLiteFiles(t.path); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open(t.driver, t.dsn)
	if err != nil {
		return nil, fmt.Errorf("devstore: open: %w", err)
	}
	// Idle connections are kept up to the pool's size: each holds its
	// prepared statements (stmtcache.go, pgx's own cache), which
	// database/sql's default of 2 idle connections would throw away with
	// the connection under any concurrency.
	if t.isPostgres() {
		db.SetMaxOpenConns(postgresMaxConns)
		db.SetMaxIdleConns(postgresMaxConns)
	} else {
		db.SetMaxOpenConns(sqliteMaxConns)
		db.SetMaxIdleConns(sqliteMaxConns)
	}
	db.SetConnMaxIdleTime(connMaxIdleTime)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("devstore: ping: %w", err)
	}
	ours, err := dbutil.NewWithDB(db, t.dialect)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("devstore: dialect: %w", err)
	}
	ours.UpgradeTable = upgradeTable
	ours.VersionTable = versionTable
	// whatsmeow's tables through a child of ours: one transaction context, so
	// writes of both (a device and its sealed keys, a batch of pre-keys)
	// can share one transaction.
	container := sqlstore.NewWithWrappedDB(ours.Child(whatsmeowVersionTable, upgrades.Table, nil),
		walog.New(log.Named("whatsmeow")))
	if err := upgrade(ctx, db, t, container, ours); err != nil {
		_ = db.Close()
		return nil, err
	}
	log.Info("device store open", zap.String("dialect", t.dialect))
	return &Store{db: db, ours: ours, container: container, log: log}, nil
}

// Container is the whatsmeow device container; one per process.
func (s *Store) Container() *sqlstore.Container { return s.container }

// NewDevice returns a fresh, unsaved device. whatsmeow saves it on pairing.
func (s *Store) NewDevice() *store.Device {
	dev := s.container.NewDevice()
	if s.box != nil {
		dev.Container = sealedKeys{s}
	} else {
		dev.Container = plainKeys{s}
	}
	return dev
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("devstore: close: %w", err)
	}
	return nil
}
