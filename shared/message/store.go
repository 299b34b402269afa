package message

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/subject"
)

// ErrNotFound is returned for a message that has no record.
var ErrNotFound = errors.New("message: not found")

// maxCASAttempts bounds the re-read-and-retry loop of a status change.
const maxCASAttempts = 16

// Store keeps message records in KV bucket wa_messages and texts in the
// in-memory stream WA_MSG_TEXT. The record never holds the text; the text
// is deleted once the message is delivered, read or failed. Safe for
// concurrent use.
type Store struct {
	kv jetstream.KeyValue
	js jetstream.JetStream

	mu     sync.Mutex
	stream jetstream.Stream
	// known is the last record and revision this process read or wrote per
	// key: a status change tries its compare-and-set on it before reading
	// the record again (a conflict reads it and retries, so a stale entry
	// costs one round trip, never a wrong update).
	known map[string]known
}

// known is a record at a revision.
type known struct {
	rec Record
	rev uint64
}

// knownSize bounds Store.known; it starts over when full.
const knownSize = 4096

func (s *Store) remember(key string, rec Record, rev uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.known == nil || len(s.known) >= knownSize {
		s.known = make(map[string]known)
	}
	s.known[key] = known{rec, rev}
}

func (s *Store) recall(key string) (known, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.known[key]
	return k, ok
}

func (s *Store) forget(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.known, key)
}

// NewStore returns a Store over the messages bucket.
func NewStore(js jetstream.JetStream, kv jetstream.KeyValue) *Store {
	return &Store{kv: kv, js: js}
}

// CreatePending stores rec (status pending) and its text unless a record
// with its id exists; it returns the stored record and whether it is new.
func (s *Store) CreatePending(ctx context.Context, tenant, session string, rec Record, text string) (Record, bool, error) {
	// A retry of a message already accepted must not store its text again
	// (it may have been erased after delivery).
	if cur, _, err := s.record(ctx, tenant, session, rec.ID); err == nil {
		return cur, false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Record{}, false, err
	}
	return s.CreateNew(ctx, tenant, session, rec, text)
}

// CreateNew is CreatePending for an id nobody can have used yet (one drawn
// at random, not derived from an idempotency key): it skips the read for a
// retry, one round trip less. Should the id exist after all, the record is
// left alone and returned as CreatePending would.
func (s *Store) CreateNew(ctx context.Context, tenant, session string, rec Record, text string) (Record, bool, error) {
	body, err := json.Marshal(rec)
	if err != nil {
		return Record{}, false, fmt.Errorf("message: encode: %w", err)
	}
	// The text and the record are stored side by side (one round trip, not
	// two); the caller publishes the command only once both are.
	var textAck jetstream.PubAckFuture
	if text != "" {
		textAck, err = s.js.PublishAsync(subject.MessageText(tenant, session, rec.ID), []byte(text),
			jetstream.WithMsgID("text/"+tenant+"/"+session+"/"+rec.ID))
		if err != nil {
			return Record{}, false, fmt.Errorf("message: store text: %w", err)
		}
	}
	key := subject.MessageKey(tenant, session, rec.ID)
	rev, err := s.kv.Create(ctx, key, body)
	if textAck != nil {
		if terr := awaitAck(ctx, textAck); terr != nil {
			if err == nil { // no record without its text
				_ = s.kv.Purge(context.WithoutCancel(ctx), key, jetstream.LastRevision(rev))
			}
			return Record{}, false, fmt.Errorf("message: store text: %w", terr)
		}
	}
	if errors.Is(err, jetstream.ErrKeyExists) {
		cur, _, gerr := s.record(ctx, tenant, session, rec.ID)
		return cur, false, gerr
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("message: create: %w", err)
	}
	s.remember(key, rec, rev)
	return rec, true, nil
}

// awaitAck waits for an asynchronous publish's acknowledgement.
func awaitAck(ctx context.Context, f jetstream.PubAckFuture) error {
	select {
	case <-f.Ok():
		return nil
	case err := <-f.Err():
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Get returns a record with its text while the text is kept.
func (s *Store) Get(ctx context.Context, tenant, session, id string) (Record, error) {
	rec, _, err := s.record(ctx, tenant, session, id)
	if err != nil {
		return Record{}, err
	}
	if rec.Status.Final() {
		return rec, nil // its text is being deleted, if it is not gone already
	}
	m, err := s.text(ctx, tenant, session, id)
	if err != nil {
		return Record{}, err
	}
	if m != nil {
		rec.Text = string(m.Data)
	}
	return rec, nil
}

// Status returns a record without its text.
func (s *Store) Status(ctx context.Context, tenant, session, id string) (Record, error) {
	rec, _, err := s.record(ctx, tenant, session, id)
	return rec, err
}

func (s *Store) record(ctx context.Context, tenant, session, id string) (Record, uint64, error) {
	key := subject.MessageKey(tenant, session, id)
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		s.forget(key)
		return Record{}, 0, ErrNotFound
	}
	if err != nil {
		return Record{}, 0, fmt.Errorf("message: get: %w", err)
	}
	var rec Record
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return Record{}, 0, fmt.Errorf("message: decode: %w", err)
	}
	s.remember(key, rec, e.Revision())
	return rec, e.Revision(), nil
}

// Advance moves a record to next (with reason for failed) when that is a
// step forward; it returns the record, the status it had, and whether it
// moved. Concurrent changes (a receipt racing the send's own update) are
// retried.
func (s *Store) Advance(ctx context.Context, tenant, session, id string, next Status, reason string, now time.Time) (Record, Status, bool, error) {
	key := subject.MessageKey(tenant, session, id)
	for attempt := 0; ; attempt++ {
		k, ok := s.recall(key)
		if !ok || attempt > 0 {
			var err error
			if k.rec, k.rev, err = s.record(ctx, tenant, session, id); err != nil {
				return Record{}, "", false, err
			}
		}
		rec, rev := k.rec, k.rev
		if !rec.Status.Advances(next) && attempt == 0 && ok {
			continue // what this process knew may be old: read it
		}
		prev := rec.Status
		if !prev.Advances(next) {
			return rec, prev, false, nil
		}
		rec.Status, rec.UpdatedAt = next, now
		if next == StatusFailed {
			rec.Error = reason
		}
		body, err := json.Marshal(rec)
		if err != nil {
			return Record{}, "", false, fmt.Errorf("message: encode: %w", err)
		}
		nrev, err := s.kv.Update(ctx, key, body, rev)
		if err == nil {
			if next.Final() {
				s.forget(key)
			} else {
				s.remember(key, rec, nrev)
			}
			return rec, prev, true, nil
		}
		if attempt >= maxCASAttempts || !isConflict(err) {
			return Record{}, "", false, fmt.Errorf("message: update: %w", err)
		}
	}
}

// Text returns a message's stored text; ok is false when there is none.
func (s *Store) Text(ctx context.Context, tenant, session, id string) (text string, ok bool, err error) {
	m, err := s.text(ctx, tenant, session, id)
	if err != nil || m == nil {
		return "", false, err
	}
	return string(m.Data), true, nil
}

// EraseText deletes a message's text (every copy). No error when there is
// none.
func (s *Store) EraseText(ctx context.Context, tenant, session, id string) error {
	st, err := s.textStream(ctx)
	if err != nil {
		return err
	}
	// One purge by subject removes every copy; the stream is in memory, so
	// nothing of the text is left on disk to overwrite.
	if err := st.Purge(ctx, jetstream.WithPurgeSubject(subject.MessageText(tenant, session, id))); err != nil {
		return fmt.Errorf("message: erase text: %w", err)
	}
	return nil
}

// text reads the stored text of a message, or nil when there is none.
func (s *Store) text(ctx context.Context, tenant, session, id string) (*jetstream.RawStreamMsg, error) {
	st, err := s.textStream(ctx)
	if err != nil {
		return nil, err
	}
	m, err := st.GetLastMsgForSubject(ctx, subject.MessageText(tenant, session, id))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("message: get text: %w", err)
	}
	return m, nil
}

func (s *Store) textStream(ctx context.Context) (jetstream.Stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stream != nil {
		return s.stream, nil
	}
	st, err := s.js.Stream(ctx, subject.TextStream)
	if err != nil {
		return nil, fmt.Errorf("message: text stream: %w", err)
	}
	s.stream = st
	return st, nil
}

func isConflict(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) ||
		(errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence)
}
