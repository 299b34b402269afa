package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// lastSweep is the value of sweep.last: the latest sweep any replica claimed.
type lastSweep struct {
	Sweep string    `json:"sweep"`
	At    time.Time `json:"at"`
	By    string    `json:"by"`
}

// claimTries bounds the CAS loop; each lost race re-reads the winner.
const claimTries = 3

// claim records sweep id (of the interval starting at at) as handled, with
// CAS, before the sweep does anything. It reports false when this or a
// later sweep was claimed already, so a tick is handled at most once even
// across leader changes and intervals longer than the stream's duplicate
// window. A sweep that dies half-way is not redone: the next one re-reads
// every session anyway.
func (s *Scheduler) claim(ctx context.Context, kv jetstream.KeyValue, at time.Time, id string) (bool, error) {
	body, err := json.Marshal(lastSweep{Sweep: id, At: at, By: s.cfg.ID})
	if err != nil {
		return false, fmt.Errorf("scheduler: encode claim: %w", err)
	}
	for range claimTries {
		var rev uint64
		e, err := kv.Get(ctx, lastSweepKey)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return false, fmt.Errorf("scheduler: read %s: %w", lastSweepKey, err)
		default:
			var last lastSweep
			if json.Unmarshal(e.Value(), &last) == nil && !last.At.Before(at) {
				return false, nil
			}
			rev = e.Revision()
		}
		if rev == 0 {
			_, err = kv.Create(ctx, lastSweepKey, body)
		} else {
			_, err = kv.Update(ctx, lastSweepKey, body, rev)
		}
		if err == nil {
			return true, nil
		}
		if !casConflict(err) {
			return false, fmt.Errorf("scheduler: claim %s: %w", id, err)
		}
	}
	return false, nil
}

// casConflict reports whether a KV Create or Update lost a race.
func casConflict(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyExists) ||
		(errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence)
}
