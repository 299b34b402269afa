package devstore

import (
	"errors"
	"fmt"
	"strings"
)

// Database URL schemes.
const (
	sqlitePrefix = "sqlite:"
	// sqliteDialect is what dbutil (and so whatsmeow) call SQLite; the
	// driver is modernc.org/sqlite behind a statement cache (stmtcache.go).
	sqliteDialect  = "sqlite"
	postgresDriver = "pgx"
	// postgresDialect is what dbutil (and so whatsmeow) call Postgres.
	postgresDialect = "postgres"
)

// sqlitePragmas are required for whatsmeow (foreign keys, checked at upgrade)
// and for many concurrent clients (WAL, busy timeout). Transactions begin
// IMMEDIATE: a deferred one that reads first and then writes cannot wait
// for the write lock when another connection committed meanwhile
// (SQLITE_BUSY_SNAPSHOT fails at once, the busy timeout does not apply).
const sqlitePragmas = "_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"

// ErrUnsupportedURL is returned for a database URL that is neither sqlite:
// nor postgres.
var ErrUnsupportedURL = errors.New("devstore: database url must be sqlite:PATH or postgres://…")

// target is how to open one database.
type target struct {
	driver  string
	dsn     string
	dialect string
	// path is the SQLite file ("" for Postgres).
	path string
}

// parseURL turns a SWITCHBOARD_DATABASE_URL into a driver, a DSN and a dialect.
func parseURL(url string) (target, error) {
	switch {
	case strings.HasPrefix(url, sqlitePrefix):
		path := strings.TrimPrefix(url, sqlitePrefix)
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			return target{}, fmt.Errorf("%w: empty sqlite path", ErrUnsupportedURL)
		}
		if strings.Contains(path, "?") {
			return target{}, fmt.Errorf("%w: sqlite path must not carry options", ErrUnsupportedURL)
		}
		return target{driver: cachedSQLiteDriver, dsn: "file:" + path + "?" + sqlitePragmas, dialect: sqliteDialect, path: path}, nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return target{driver: postgresDriver, dsn: url, dialect: postgresDialect}, nil
	}
	return target{}, ErrUnsupportedURL
}

// isPostgres reports whether t is a Postgres target.
func (t target) isPostgres() bool { return t.dialect == postgresDialect }
