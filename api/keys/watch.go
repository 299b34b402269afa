package keys

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// run watches the bucket until ctx ends, re-creating the watch when it
// closes; synced is closed after the first initial delivery.
func (s *Store) run(ctx context.Context, synced chan struct{}) {
	defer s.wg.Done()
	first := true
	for ctx.Err() == nil {
		err := s.watchOnce(ctx, func() {
			if first {
				close(synced)
				first = false
			}
		})
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("keys watch ended, re-creating", zap.Error(err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(rewatchDelay):
		}
	}
}

var errWatchClosed = errors.New("keys: watch closed")

// watchOnce runs one watch. A re-created watch re-delivers every key; keys
// it does not mention were deleted meanwhile and are dropped.
func (s *Store) watchOnce(ctx context.Context, onSynced func()) error {
	w, err := s.kv.WatchAll(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = w.Stop() }()
	s.mu.Lock()
	s.seen = map[string]bool{}
	s.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return errWatchClosed
			}
			if e == nil {
				s.endResync()
				onSynced()
				continue
			}
			s.apply(e)
		}
	}
}

func (s *Store) apply(e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		s.remove(e.Key())
		return
	}
	var k Key
	if err := json.Unmarshal(e.Value(), &k); err != nil || k.ID != e.Key() {
		s.log.Warn("ignoring malformed key record", zap.String("id", e.Key()), zap.Error(err))
		return
	}
	s.put(k)
}

func (s *Store) put(k Key) {
	d, ok := k.digest()
	if !ok {
		s.log.Warn("ignoring key record without a valid hash", zap.String("id", k.ID))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.byID[k.ID]; ok {
		if od, ok := old.digest(); ok {
			delete(s.byHash, od)
		}
	}
	s.byID[k.ID] = k
	s.byHash[d] = k.ID
	if s.seen != nil {
		s.seen[k.ID] = true
	}
}

func (s *Store) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.byID[id]; ok {
		if d, ok := k.digest(); ok {
			delete(s.byHash, d)
		}
		delete(s.byID, id)
	}
}

// endResync drops keys the initial delivery of a watch did not mention.
func (s *Store) endResync() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		return
	}
	for id, k := range s.byID {
		if !s.seen[id] {
			if d, ok := k.digest(); ok {
				delete(s.byHash, d)
			}
			delete(s.byID, id)
		}
	}
	s.seen = nil
}
