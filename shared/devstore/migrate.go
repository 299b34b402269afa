package devstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"sync"

	"go.mau.fi/util/dbutil"
	"go.mau.fi/whatsmeow/store/sqlstore"
)

// upgradeLockKey is the Postgres advisory lock key serialising schema
// upgrades ("swbd" in ASCII), so workers starting together upgrade once and
// the rest find the schema current.
const upgradeLockKey = 0x73776264

// sqliteUpgradeMu serialises SQLite upgrades within the process.
var sqliteUpgradeMu sync.Mutex

// versionTable records the version of Switchboard's own tables, apart from
// whatsmeow_version.
const versionTable = "switchboard_version"

//go:embed upgrades/*.sql
var upgradeFiles embed.FS

// upgradeTable holds Switchboard's numbered migrations.
var upgradeTable dbutil.UpgradeTable

func init() {
	upgradeTable.RegisterFSPath(upgradeFiles, "upgrades")
}

// upgrade runs whatsmeow's schema upgrade and then ours. On Postgres both run
// under a session advisory lock held on a dedicated connection.
func upgrade(ctx context.Context, db *sql.DB, t target, container *sqlstore.Container, ours *dbutil.Database) error {
	if !t.isPostgres() {
		// SQLite is the single-process deployment, so an in-process lock is
		// enough to keep two stores opened together from racing.
		sqliteUpgradeMu.Lock()
		defer sqliteUpgradeMu.Unlock()
	} else {
		conn, err := db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("devstore: upgrade lock connection: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", upgradeLockKey); err != nil {
			return fmt.Errorf("devstore: upgrade lock: %w", err)
		}
		// Unlock with a fresh context: the caller's may be done, and a lock
		// left on a pooled connection would block every later upgrade.
		defer func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", upgradeLockKey)
		}()
	}
	if err := container.Upgrade(ctx); err != nil {
		return fmt.Errorf("devstore: whatsmeow upgrade: %w", err)
	}
	if err := ours.Upgrade(ctx); err != nil {
		return fmt.Errorf("devstore: switchboard upgrade: %w", err)
	}
	return nil
}
