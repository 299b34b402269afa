// Package devstoretest provides throwaway databases for tests: a SQLite file
// in the test's temp dir, and a fresh database on the real Postgres that is
// dropped when the test ends.
package devstoretest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// DefaultPostgresAdminURL is the Postgres used by tests unless
// SWITCHBOARD_TEST_POSTGRES_URL names another (any database on the server
// that the user may connect to and create databases from).
const DefaultPostgresAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// SQLiteURL returns a sqlite: URL of a new file under t.TempDir().
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "switchboard.db")
}

// PostgresURL creates a database switchboard_test_<random> on the test
// Postgres, drops it when t ends, and returns its URL. It fails t when
// Postgres is unreachable: the suite requires it (see the README), and a
// skip would let `make test` pass without testing the Postgres backend.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("SWITCHBOARD_TEST_POSTGRES_URL")
	if admin == "" {
		admin = DefaultPostgresAdminURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		t.Fatalf("postgres unreachable at %s (start it, or set SWITCHBOARD_TEST_POSTGRES_URL): %v", redactURL(admin), err)
	}
	name := "switchboard_test_" + randomSuffix(t)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = db.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse postgres url: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// ForEach runs fn as one subtest per backend, "sqlite" and "postgres", each
// on a fresh database. The postgres subtest fails when Postgres is
// unreachable.
func ForEach(t *testing.T, fn func(t *testing.T, databaseURL string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLiteURL(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, PostgresURL(t)) })
}

// redactURL drops the password of a database URL for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}

func randomSuffix(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random: %v", err)
	}
	return hex.EncodeToString(b)
}
