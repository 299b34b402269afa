// Package msglog is the message log: every inbound and outbound message of
// a session with message logging on, kept in table switchboard_messages of
// the device database (migration 02-messages.sql of package devstore), and
// the request/reply protocol through which the api reads and erases it.
//
// Workers own the database; the api has no database connection and asks
// any worker (queue group msglog on wa.msglog.<verb>.<tenant>.<session>),
// so the same api works standalone and in a cluster.
package msglog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-gw/switchboard/shared/message"
)

// Paging limits.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Entry is one logged message.
type Entry struct {
	Seq       int64             `json:"-"`
	ID        string            `json:"id"`
	Direction message.Direction `json:"direction"`
	Chat      string            `json:"chat"`
	From      string            `json:"from,omitempty"`
	To        string            `json:"to,omitempty"`
	Text      string            `json:"text"`
	Status    message.Status    `json:"status"`
	Error     string            `json:"error,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Store reads and writes the log. The table is created by devstore's
// upgrade; queries use $n placeholders, which both drivers accept.
type Store struct {
	db *sql.DB
}

// New returns a Store over db.
func New(db *sql.DB) (*Store, error) {
	if db == nil {
		return nil, errors.New("msglog: db is required")
	}
	return &Store{db: db}, nil
}

const (
	insertQuery = `
		INSERT INTO switchboard_messages
			(tenant, session, id, direction, chat, sender, recipient, text, status, error, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (tenant, session, id, direction) DO NOTHING`
	statusQuery = `
		UPDATE switchboard_messages SET status=$5, error=$6, updated_at=$7
		WHERE tenant=$1 AND session=$2 AND id=$3 AND direction=$4`
	eraseQuery = `DELETE FROM switchboard_messages WHERE tenant=$1 AND session=$2`
	columns    = `seq, id, direction, chat, sender, recipient, text, status, error, created_at, updated_at`
	listQuery  = `SELECT ` + columns + ` FROM switchboard_messages
		WHERE tenant=$1 AND session=$2 AND seq < $3 ORDER BY seq DESC LIMIT $4`
	getQuery = `SELECT ` + columns + ` FROM switchboard_messages
		WHERE tenant=$1 AND session=$2 AND id=$3 AND direction=$4`
	listChatQuery = `SELECT ` + columns + ` FROM switchboard_messages
		WHERE tenant=$1 AND session=$2 AND chat=$3 AND seq < $4 ORDER BY seq DESC LIMIT $5`
)

// Add logs a message once (a repeated id and direction is ignored).
func (s *Store) Add(ctx context.Context, tenant, session string, e Entry) error {
	if _, err := s.db.ExecContext(ctx, insertQuery, tenant, session, e.ID, string(e.Direction), e.Chat, e.From, e.To,
		e.Text, string(e.Status), e.Error, e.CreatedAt.UnixMilli(), e.UpdatedAt.UnixMilli()); err != nil {
		return fmt.Errorf("msglog: add: %w", err)
	}
	return nil
}

// SetStatus records a new status of a logged outbound message (no error
// when it is not logged).
func (s *Store) SetStatus(ctx context.Context, tenant, session, id string, st message.Status, reason string, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, statusQuery, tenant, session, id, string(message.Outbound), string(st), reason, at.UnixMilli()); err != nil {
		return fmt.Errorf("msglog: set status: %w", err)
	}
	return nil
}

// Get returns one logged outbound message; ok is false when it is not logged.
func (s *Store) Get(ctx context.Context, tenant, session, id string) (Entry, bool, error) {
	var e Entry
	var dir, st string
	var created, updated int64
	err := s.db.QueryRowContext(ctx, getQuery, tenant, session, id, string(message.Outbound)).Scan(
		&e.Seq, &e.ID, &dir, &e.Chat, &e.From, &e.To, &e.Text, &st, &e.Error, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("msglog: get: %w", err)
	}
	e.Direction, e.Status = message.Direction(dir), message.Status(st)
	e.CreatedAt, e.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return e, true, nil
}

// Erase deletes a session's whole log and returns how many rows went.
func (s *Store) Erase(ctx context.Context, tenant, session string) (int64, error) {
	res, err := s.db.ExecContext(ctx, eraseQuery, tenant, session)
	if err != nil {
		return 0, fmt.Errorf("msglog: erase: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// List returns up to limit entries of a session older than cursor before
// (0: the newest), newest first, optionally of one chat, and the cursor of
// the next page (0 when this was the last).
func (s *Store) List(ctx context.Context, tenant, session, chat string, before int64, limit int) ([]Entry, int64, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	if before <= 0 {
		before = 1<<63 - 1
	}
	var rows *sql.Rows
	var err error
	if chat == "" {
		rows, err = s.db.QueryContext(ctx, listQuery, tenant, session, before, limit+1)
	} else {
		rows, err = s.db.QueryContext(ctx, listChatQuery, tenant, session, chat, before, limit+1)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("msglog: list: %w", err)
	}
	defer rows.Close()
	out := make([]Entry, 0, limit)
	for rows.Next() {
		var e Entry
		var dir, st string
		var created, updated int64
		if err := rows.Scan(&e.Seq, &e.ID, &dir, &e.Chat, &e.From, &e.To, &e.Text, &st, &e.Error, &created, &updated); err != nil {
			return nil, 0, fmt.Errorf("msglog: list: %w", err)
		}
		e.Direction, e.Status = message.Direction(dir), message.Status(st)
		e.CreatedAt, e.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("msglog: list: %w", err)
	}
	var next int64
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].Seq
	}
	return out, next, nil
}
