package usage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/subject"
)

// LastKey records, in the scheduler state bucket, the end of the last
// period whose reports were all published.
const LastKey = "usage.last"

// Published reports whether the period ending at end was published already
// (by any replica, however long ago).
func Published(ctx context.Context, state jetstream.KeyValue, end time.Time) (bool, error) {
	e, err := state.Get(ctx, LastKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("usage: read %s: %w", LastKey, err)
	}
	var last time.Time
	if err := last.UnmarshalText(e.Value()); err != nil {
		return false, nil
	}
	return !last.Before(end), nil
}

// Publish sends every report with its deterministic id (a repeat within
// the stream's duplicate window is dropped), then records the period as
// published so that a later replica does not publish it again.
func Publish(ctx context.Context, js jetstream.JetStream, state jetstream.KeyValue, reports []Report, end time.Time) error {
	for _, r := range reports {
		body, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("usage: encode: %w", err)
		}
		if _, err := js.Publish(ctx, subject.Usage(r.Tenant), body,
			jetstream.WithMsgID(ReportID(r.Tenant, r.PeriodStart, r.PeriodEnd))); err != nil {
			return fmt.Errorf("usage: publish %s: %w", r.Tenant, err)
		}
	}
	mark, err := end.UTC().MarshalText()
	if err != nil {
		return fmt.Errorf("usage: encode mark: %w", err)
	}
	if _, err := state.Put(ctx, LastKey, mark); err != nil {
		return fmt.Errorf("usage: record %s: %w", LastKey, err)
	}
	return nil
}
