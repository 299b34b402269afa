package mirror

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/session"
)

// readyPoll is how often Ready re-reads the mirror while it catches up.
const readyPoll = 20 * time.Millisecond

// Ready reports whether the mirror can answer reads as of now: every
// watch runs, and the sessions copy holds every revision the bucket had
// when Ready was called (it waits for that until ctx ends). Records are
// never purged from wa_sessions, so the bucket's last sequence is always
// one the watch delivers: a put, or the delete marker that replaced it.
func (m *Mirror) Ready(ctx context.Context) error {
	if !m.sessionsLive.Load() {
		return errors.New("sessions watch not running")
	}
	if !m.pairingLive.Load() {
		return errors.New("pairing watch not running")
	}
	if !m.leasesLive.Load() {
		return errors.New("leases watch not running")
	}
	st, err := m.cfg.Sessions.Status(ctx)
	if err != nil {
		return fmt.Errorf("sessions bucket status: %w", err)
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok {
		return errors.New("sessions bucket status has no stream info")
	}
	last := bs.StreamInfo().State.LastSeq
	t := time.NewTicker(readyPoll)
	defer t.Stop()
	for {
		have := m.sessions.revision()
		if have >= last {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("behind: revision %d of %d", have, last)
		case <-t.C:
		}
	}
}

// Counts returns how many visible sessions of all tenants are in each
// status (the switchboard_sessions gauge).
func (m *Mirror) Counts() map[session.Status]int {
	return m.sessions.counts()
}

// revision is the highest revision the watch delivered.
func (t *sessionTable) revision() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.watchRev
}

func (t *sessionTable) counts() map[session.Status]int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make(map[session.Status]int)
	for _, idx := range t.tenants {
		for _, e := range idx.byID {
			out[e.rec.State.Status]++
		}
	}
	return out
}
