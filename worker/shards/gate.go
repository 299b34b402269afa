package shards

import "context"

// DefaultLoadParallel is how many session chunks a worker's starting
// shards mark and preload at once. A takeover starts twenty shards
// together: unlimited, all of them split the machine over their first
// chunks (3,000 sessions at 30,000) and the first connect waited 4–7 s for
// them; a few at a time, the first chunks are queued within moments and
// the reconnects overlap the remaining reads.
const DefaultLoadParallel = 4

// Gate bounds how many chunk loads run at once; one per worker, shared by
// its shards. A nil *Gate bounds nothing.
type Gate struct {
	slots chan struct{}
}

// NewGate returns a Gate of n slots.
func NewGate(n int) *Gate {
	return &Gate{slots: make(chan struct{}, max(n, 1))}
}

// enter waits for a slot; the returned func gives it back.
func (g *Gate) enter(ctx context.Context) (func(), error) {
	if g == nil {
		return func() {}, nil
	}
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
