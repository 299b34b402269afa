package worker

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
	"github.com/switchboard-gw/switchboard/worker/sessions"
)

// probeWait bounds how long a liveness walk waits for a session's mailbox
// to answer; one that does not is reported stale.
const probeWait = 5 * time.Second

// keepLive is the one liveness loop of the worker: every period/3 it probes
// the WORKING sessions of each shard it owns (in their mailboxes, no I/O)
// and writes one session.ShardLiveness record per shard, naming the ones
// whose socket is dead or failing, or whose mailbox did not answer. That is
// one KV write per shard per walk instead of one per session: the cost of
// liveness no longer grows with the number of sessions.
func (w *Worker) keepLive(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.livenessWalk(ctx)
	}
}

// livenessWalk probes and reports every owned shard.
func (w *Worker) livenessWalk(ctx context.Context) {
	owned := w.owned()
	failed := 0
	for _, o := range owned {
		if ctx.Err() != nil {
			return
		}
		stale, ok := probeShard(ctx, o.sh)
		if !ok {
			return
		}
		rec := session.ShardLiveness{Owner: w.cfg.ID, Epoch: o.sh.Epoch(), At: time.Now().UTC(), Stale: stale}
		b, err := json.Marshal(rec)
		if err == nil {
			pctx, cancel := context.WithTimeout(ctx, w.deps.OpTimeout)
			_, err = w.b.Liveness.Put(pctx, subject.LeaseKey(o.p), b)
			cancel()
		}
		if err != nil {
			failed++
		}
	}
	if failed > 0 && ctx.Err() == nil {
		w.log.Warn("shard liveness not written", zap.Int("shards", failed))
	}
}

// probeShard probes the WORKING sessions of a shard at once and returns the
// keys of the ones that are not healthy or did not answer in time; ok is
// false when ctx ended first (a stopping worker does not wait for answers
// from sessions it is closing).
func probeShard(ctx context.Context, sh interface{ Each(func(*sessions.Session)) }) (stale []string, ok bool) {
	type answer struct {
		key string
		err error
	}
	var working []*sessions.Session
	sh.Each(func(a *sessions.Session) {
		if a.Working() {
			working = append(working, a)
		}
	})
	// Room for every answer: a late one never blocks its mailbox.
	answers := make(chan answer, len(working))
	asked := make(map[string]bool, len(working))
	for _, a := range working {
		key := subject.SessionKey(a.Tenant(), a.ID())
		asked[key] = true
		a.Liveness(func(err error) { answers <- answer{key, err} })
	}
	timeout := time.NewTimer(probeWait)
	defer timeout.Stop()
	for len(asked) > 0 {
		select {
		case a := <-answers:
			if !asked[a.key] {
				continue
			}
			delete(asked, a.key)
			if a.err != nil && !errors.Is(a.err, sessions.ErrClosed) {
				stale = append(stale, a.key)
			}
		case <-timeout.C:
			for key := range asked {
				stale = append(stale, key)
			}
			return stale, true
		case <-ctx.Done():
			return nil, false
		}
	}
	return stale, true
}
