package webhook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned for a dead letter that does not exist in the
// given tenant and session.
var ErrNotFound = errors.New("webhook: dead letter not found")

// MaxListLimit caps DeadLetters / ListDeadLetters.
const MaxListLimit = 1000

// DeadLetter is an event a target did not accept: a permanent failure, the
// last attempt spent, or the endpoint's backlog full. It holds the body for
// replay (sealed when a Sealer is configured: see Dispatcher.Replay), never
// the secret.
type DeadLetter struct {
	ID        int64  `json:"id"`
	Tenant    string `json:"tenant"`
	Session   string `json:"session"`
	EventID   string `json:"event_id"`
	EventType string `json:"event_type"`
	URL       string `json:"url"`
	Body      []byte `json:"-"` // as stored: sealed when a Sealer is configured
	// StatusCode is the last HTTP status, 0 when there was no response.
	StatusCode int       `json:"status_code"`
	LastError  string    `json:"last_error"`
	Attempts   int       `json:"attempts"`
	CreatedAt  time.Time `json:"created_at"`
}

const (
	deadLetterColumns = `id, tenant, session, event_id, event_type, url, body, status_code, last_error, attempts, created_at`
	// A dead letter for the same event and target is kept once.
	insertDeadLetterQuery = `
		INSERT INTO switchboard_webhook_dead_letters
			(tenant, session, event_id, event_type, url, url_hash, body, status_code, last_error, attempts, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (tenant, session, event_id, url_hash) DO NOTHING`
	listDeadLettersQuery = `SELECT ` + deadLetterColumns + ` FROM switchboard_webhook_dead_letters
		WHERE tenant=$1 AND session=$2 ORDER BY id LIMIT $3 OFFSET $4`
	countDeadLettersQuery = `SELECT COUNT(*) FROM switchboard_webhook_dead_letters WHERE tenant=$1 AND session=$2`
	deadLetterIDsQuery    = `SELECT id FROM switchboard_webhook_dead_letters WHERE tenant=$1 AND session=$2 ORDER BY id`
	getDeadLetterQuery    = `SELECT ` + deadLetterColumns + ` FROM switchboard_webhook_dead_letters
		WHERE tenant=$1 AND session=$2 AND id=$3`
	deleteDeadLetterQuery = `DELETE FROM switchboard_webhook_dead_letters WHERE tenant=$1 AND session=$2 AND id=$3`
	failedReplayQuery     = `
		UPDATE switchboard_webhook_dead_letters SET attempts=attempts+1, status_code=$4, last_error=$5
		WHERE tenant=$1 AND session=$2 AND id=$3`
	pruneDeadLettersQuery = `DELETE FROM switchboard_webhook_dead_letters WHERE created_at < $1`
)

// ListDeadLetters returns up to limit dead letters of tenant/session after
// skipping offset, oldest first. limit is clamped to 1..MaxListLimit.
func ListDeadLetters(ctx context.Context, db *sql.DB, tenant, session string, limit, offset int) ([]DeadLetter, error) {
	limit = max(1, min(limit, MaxListLimit))
	rows, err := db.QueryContext(ctx, listDeadLettersQuery, tenant, session, limit, max(offset, 0))
	if err != nil {
		return nil, fmt.Errorf("webhook: list dead letters: %w", err)
	}
	defer rows.Close()
	var out []DeadLetter
	for rows.Next() {
		dl, err := scanDeadLetter(rows)
		if err != nil {
			return nil, fmt.Errorf("webhook: list dead letters: %w", err)
		}
		out = append(out, dl)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("webhook: list dead letters: %w", err)
	}
	return out, nil
}

// CountDeadLetters returns how many dead letters tenant/session has.
func CountDeadLetters(ctx context.Context, db *sql.DB, tenant, session string) (int, error) {
	var n int
	if err := db.QueryRowContext(ctx, countDeadLettersQuery, tenant, session).Scan(&n); err != nil {
		return 0, fmt.Errorf("webhook: count dead letters: %w", err)
	}
	return n, nil
}

// deadLetterIDs returns the ids of every dead letter of tenant/session,
// oldest first.
func deadLetterIDs(ctx context.Context, db *sql.DB, tenant, session string) ([]int64, error) {
	rows, err := db.QueryContext(ctx, deadLetterIDsQuery, tenant, session)
	if err != nil {
		return nil, fmt.Errorf("webhook: dead letter ids: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("webhook: dead letter ids: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("webhook: dead letter ids: %w", err)
	}
	return out, nil
}

// GetDeadLetter loads one dead letter of tenant/session, or ErrNotFound.
func GetDeadLetter(ctx context.Context, db *sql.DB, tenant, session string, id int64) (DeadLetter, error) {
	dl, err := scanDeadLetter(db.QueryRowContext(ctx, getDeadLetterQuery, tenant, session, id))
	if errors.Is(err, sql.ErrNoRows) {
		return DeadLetter{}, ErrNotFound
	} else if err != nil {
		return DeadLetter{}, fmt.Errorf("webhook: get dead letter: %w", err)
	}
	return dl, nil
}

// DeleteDeadLetter drops one dead letter of tenant/session without sending
// it, or returns ErrNotFound.
func DeleteDeadLetter(ctx context.Context, db *sql.DB, tenant, session string, id int64) error {
	return deleteDeadLetter(ctx, db, tenant, session, id)
}

func deleteDeadLetter(ctx context.Context, db execer, tenant, session string, id int64) error {
	res, err := db.ExecContext(ctx, deleteDeadLetterQuery, tenant, session, id)
	if err != nil {
		return fmt.Errorf("webhook: delete dead letter: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrNotFound
	}
	return nil
}

// PruneDeadLetters deletes dead letters created before before and returns
// how many went.
func PruneDeadLetters(ctx context.Context, db *sql.DB, before time.Time) (int64, error) {
	res, err := db.ExecContext(ctx, pruneDeadLettersQuery, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("webhook: prune dead letters: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// deadLetter records the final failure of d in one transaction: the dead
// letter and the outcome row, so a crash between them cannot leave a target
// retried after it was dead-lettered.
func deadLetter(ctx context.Context, db *sql.DB, sealer Sealer, d delivery, body []byte) error {
	h := hashURL(d.url)
	col, err := sealBody(sealer, body, bodyAD(d.tenant, d.session, d.eventID, h))
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("webhook: dead letter: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, insertDeadLetterQuery,
		d.tenant, d.session, d.eventID, d.eventType, d.url, h, col,
		d.outcome.status, d.outcome.err, d.attempt, d.at.UnixMilli(),
	); err != nil {
		return fmt.Errorf("webhook: dead letter: %w", err)
	}
	if err := recordDelivery(ctx, tx, d); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("webhook: dead letter: %w", err)
	}
	return nil
}

// replayed records a successful replay: the outcome row becomes delivered
// and the dead letter goes, together.
func replayed(ctx context.Context, db *sql.DB, dl DeadLetter, d delivery) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("webhook: replayed: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := deleteDeadLetter(ctx, tx, dl.Tenant, dl.Session, dl.ID); err != nil {
		return err
	}
	if err := recordDelivery(ctx, tx, d); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("webhook: replayed: %w", err)
	}
	return nil
}

// replayFailed counts a failed replay on the dead letter.
func replayFailed(ctx context.Context, db *sql.DB, dl DeadLetter, o outcome) error {
	if _, err := db.ExecContext(ctx, failedReplayQuery, dl.Tenant, dl.Session, dl.ID, o.status, o.err); err != nil {
		return fmt.Errorf("webhook: record failed replay: %w", err)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanDeadLetter(s scanner) (DeadLetter, error) {
	var (
		dl      DeadLetter
		body    string
		created int64
	)
	if err := s.Scan(&dl.ID, &dl.Tenant, &dl.Session, &dl.EventID, &dl.EventType, &dl.URL, &body,
		&dl.StatusCode, &dl.LastError, &dl.Attempts, &created); err != nil {
		return DeadLetter{}, err
	}
	dl.Body = []byte(body)
	dl.CreatedAt = time.UnixMilli(created).UTC()
	return dl, nil
}
