package devstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func openCached(t *testing.T) *sql.DB {
	t.Helper()
	tg, err := parseURL("sqlite:" + filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(tg.driver, tg.dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one connection: every call meets the same cache
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Exec(`CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// cacheLen reads the number of statements cached on the pool's connection.
func cacheLen(t *testing.T, db *sql.DB) int {
	t.Helper()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n := -1
	if err := c.Raw(func(dc any) error { n = len(dc.(*cachingConn).stmts); return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStmtCacheReusesAndBounds(t *testing.T) {
	db := openCached(t)
	for i := range 50 {
		if _, err := db.Exec(`INSERT INTO kv (k, v) VALUES (?, ?)`, i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	before := cacheLen(t, db)
	var v string
	for i := range 50 {
		if err := db.QueryRow(`SELECT v FROM kv WHERE k = ?`, i).Scan(&v); err != nil || v != fmt.Sprint("v", i) {
			t.Fatalf("row %d: %q, %v", i, v, err)
		}
	}
	if got := cacheLen(t, db); got != before+1 {
		t.Fatalf("50 runs of one query added %d statements, want 1", got-before)
	}
	// Many distinct texts (IN lists of every length) never grow it past the bound.
	for n := 1; n <= 3*stmtCacheSize; n++ {
		q := "SELECT count(*) FROM kv WHERE k IN (?" + strings.Repeat(",?", n-1) + ")"
		args := make([]any, n)
		for i := range args {
			args[i] = i
		}
		var c int
		if err := db.QueryRow(q, args...).Scan(&c); err != nil || c != min(n, 50) {
			t.Fatalf("IN list of %d: %d, %v", n, c, err)
		}
	}
	if got := cacheLen(t, db); got > stmtCacheSize {
		t.Fatalf("cache holds %d statements, bound %d", got, stmtCacheSize)
	}
}

// A statement whose rows are open is not reset by running the same text
// again on the same connection (inside a transaction, as whatsmeow's
// decryption does).
func TestStmtCacheOpenRowsAreNotReused(t *testing.T) {
	db := openCached(t)
	for i := range 10 {
		if _, err := db.Exec(`INSERT INTO kv (k, v) VALUES (?, ?)`, i, "x"); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = `SELECT k FROM kv WHERE k >= ? ORDER BY k`
	rows, err := tx.Query(q, 0)
	if err != nil {
		t.Fatal(err)
	}
	var seen []int
	for rows.Next() {
		var k int
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		seen = append(seen, k)
		inner, err := tx.Query(q, 8) // same text while the outer rows are open
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for inner.Next() {
			n++
		}
		inner.Close()
		if n != 2 {
			t.Fatalf("inner query saw %d rows, want 2", n)
		}
		if _, err := tx.Exec(`UPDATE kv SET v = ? WHERE k = ?`, "y", k); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(seen) != 10 {
		t.Fatalf("outer query saw %v, want 10 rows", seen)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var y int
	if err := db.QueryRow(`SELECT count(*) FROM kv WHERE v = 'y'`).Scan(&y); err != nil || y != 10 {
		t.Fatalf("updated %d rows, %v", y, err)
	}
}

// A cached statement sees a schema change (SQLite re-prepares it).
func TestStmtCacheAfterSchemaChange(t *testing.T) {
	db := openCached(t)
	const q = `SELECT * FROM kv LIMIT 1`
	if _, err := db.Exec(`INSERT INTO kv (k, v) VALUES (1, 'a')`); err != nil {
		t.Fatal(err)
	}
	var k int
	var v string
	if err := db.QueryRow(q).Scan(&k, &v); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`ALTER TABLE kv ADD COLUMN w TEXT DEFAULT 'z'`); err != nil {
		t.Fatal(err)
	}
	var w string
	if err := db.QueryRow(q).Scan(&k, &v, &w); err != nil || w != "z" {
		t.Fatalf("after ALTER: %q, %v", w, err)
	}
}
