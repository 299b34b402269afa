package webhook

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"
)

// Outcomes are stored one row per (tenant, session, event id, url): the
// latest attempt, final once delivered_at or failed_at is set. A redelivered
// event skips the targets with a final row, so a retry does not resend to a
// target that already has it.
const (
	finalQuery = `
		SELECT url_hash FROM switchboard_webhook_deliveries
		WHERE tenant=$1 AND session=$2 AND event_id=$3
			AND (delivered_at IS NOT NULL OR failed_at IS NOT NULL)`
	// A row already delivered is never overwritten: a late duplicate
	// failing does not undo a success.
	upsertDeliveryQuery = `
		INSERT INTO switchboard_webhook_deliveries
			(tenant, session, event_id, event_type, url, url_hash, attempt, status_code, error,
			 delivered_at, failed_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
		ON CONFLICT (tenant, session, event_id, url_hash) DO UPDATE SET
			attempt=excluded.attempt, status_code=excluded.status_code, error=excluded.error,
			delivered_at=excluded.delivered_at, failed_at=excluded.failed_at, updated_at=excluded.updated_at
		WHERE switchboard_webhook_deliveries.delivered_at IS NULL`
	pruneDeliveriesQuery = `DELETE FROM switchboard_webhook_deliveries WHERE created_at < $1`
)

// execer is *sql.DB or *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// delivery is one attempt's outcome for one target.
type delivery struct {
	tenant, session, eventID, eventType, url string
	attempt                                  int
	outcome                                  outcome
	final                                    bool // delivered, or no more attempts
	at                                       time.Time
}

// hashURL keys rows by URL without putting 2 KB URLs into unique indexes.
func hashURL(u string) string {
	h := sha256.Sum256([]byte(u))
	return hex.EncodeToString(h[:])
}

// finalTargets returns the url hashes of the targets of one event that need
// no further attempt.
func finalTargets(ctx context.Context, db *sql.DB, tenant, sess, eventID string) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, finalQuery, tenant, sess, eventID)
	if err != nil {
		return nil, fmt.Errorf("webhook: load outcomes: %w", err)
	}
	defer rows.Close()
	done := make(map[string]bool)
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("webhook: load outcomes: %w", err)
		}
		done[h] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("webhook: load outcomes: %w", err)
	}
	return done, nil
}

// recordDelivery upserts the outcome row of d.
func recordDelivery(ctx context.Context, db execer, d delivery) error {
	var deliveredAt, failedAt sql.NullInt64
	switch {
	case d.outcome.ok():
		deliveredAt = sql.NullInt64{Int64: d.at.UnixMilli(), Valid: true}
	case d.final:
		failedAt = sql.NullInt64{Int64: d.at.UnixMilli(), Valid: true}
	}
	if _, err := db.ExecContext(ctx, upsertDeliveryQuery,
		d.tenant, d.session, d.eventID, d.eventType, d.url, hashURL(d.url), d.attempt,
		d.outcome.status, d.outcome.err, deliveredAt, failedAt, d.at.UnixMilli(),
	); err != nil {
		return fmt.Errorf("webhook: record delivery: %w", err)
	}
	return nil
}

// PruneDeliveries deletes outcome rows created before before and returns
// how many went.
func PruneDeliveries(ctx context.Context, db *sql.DB, before time.Time) (int64, error) {
	res, err := db.ExecContext(ctx, pruneDeliveriesQuery, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("webhook: prune deliveries: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
