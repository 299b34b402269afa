package devstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	"modernc.org/sqlite"
)

// SQLite statement cache.
//
// whatsmeow and dbutil run every query as text (db.ExecContext(query, …)),
// and modernc.org/sqlite parses the text again on every call: sending one
// message parsed a dozen statements, about 11 % of a busy worker's CPU. The
// driver registered here is modernc's with a cache of prepared statements per
// connection, keyed by the query text. database/sql never uses a connection
// from two goroutines at once; a statement whose rows are still open is not
// reused (a second copy is prepared for that call). pgx keeps its own cache
// for Postgres.

// cachedSQLiteDriver is the driver name sql.Open uses for sqlite: URLs.
const cachedSQLiteDriver = "switchboard-sqlite"

// stmtCacheSize bounds the statements kept per connection. Queries built
// with a varying number of placeholders (IN lists) would otherwise grow it.
const stmtCacheSize = 128

func init() {
	sql.Register(cachedSQLiteDriver, stmtCacheDriver{&sqlite.Driver{}})
}

type stmtCacheDriver struct{ inner driver.Driver }

func (d stmtCacheDriver) Open(name string) (driver.Conn, error) {
	c, err := d.inner.Open(name)
	if err != nil {
		return nil, err
	}
	return &cachingConn{inner: c, stmts: make(map[string]*cachedStmt)}, nil
}

// conn is what modernc's connection implements and the cache relies on.
type conn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
}

type cachedStmt struct {
	stmt interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy bool // rows from it are open
}

type cachingConn struct {
	inner driver.Conn
	stmts map[string]*cachedStmt
}

var (
	_ driver.ExecerContext      = (*cachingConn)(nil)
	_ driver.QueryerContext     = (*cachingConn)(nil)
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
	_ driver.Pinger             = (*cachingConn)(nil)
)

func (c *cachingConn) full() conn { return c.inner.(conn) }

// stmt returns the cached statement for query, preparing it on first use.
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if s, ok := c.stmts[query]; ok {
		return s, nil
	}
	st, err := c.full().PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s := &cachedStmt{stmt: st.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})}
	if len(c.stmts) >= stmtCacheSize {
		c.evictOne()
	}
	c.stmts[query] = s
	return s, nil
}

// evictOne closes and forgets one statement that has no open rows.
func (c *cachingConn) evictOne() {
	for q, s := range c.stmts {
		if !s.busy {
			_ = s.stmt.Close()
			delete(c.stmts, q)
			return
		}
	}
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s.busy { // the same statement is being read: run this one apart
		return c.full().ExecContext(ctx, query, args)
	}
	return s.stmt.ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s.busy {
		return c.full().QueryContext(ctx, query, args)
	}
	rows, err := s.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, s: s}, nil
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) { return c.inner.Prepare(query) }

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.full().PrepareContext(ctx, query)
}

func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.full().BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.full().BeginTx(ctx, opts)
}

func (c *cachingConn) Close() error {
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.stmt.Close())
		delete(c.stmts, q)
	}
	errs = append(errs, c.inner.Close())
	return errors.Join(errs...)
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.inner.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// cachedRows frees its statement for reuse when closed.
type cachedRows struct {
	driver.Rows
	s *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.s.busy = false
	return err
}
