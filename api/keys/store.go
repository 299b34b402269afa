package keys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/session"
)

// Errors of the store.
var (
	// ErrNotFound is a revoke of an unknown key id.
	ErrNotFound = errors.New("keys: key not found")
	// ErrInvalid wraps a create request the store refuses.
	ErrInvalid = errors.New("keys: invalid key request")
)

// Limits of a key request.
const (
	maxNameLen = 128
	opTimeout  = 5 * time.Second
	// rewatchDelay paces re-creating a watch that ended.
	rewatchDelay = time.Second
)

// NewKey is a request for a managed key.
type NewKey struct {
	Tenant  string
	Name    string
	Scopes  []Scope
	Session string
}

// Store keeps the managed keys of the keys bucket in memory from a KV
// watch: a lookup never waits on NATS, and a key deleted on any replica
// stops working here as soon as the watch delivers the delete.
type Store struct {
	kv  jetstream.KeyValue
	log *zap.Logger
	now func() time.Time

	mu     sync.RWMutex
	byID   map[string]Key
	byHash map[Digest]string
	seen   map[string]bool // keys re-delivered during a resync

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a store over kv; Start syncs it.
func New(kv jetstream.KeyValue, log *zap.Logger) (*Store, error) {
	if kv == nil {
		return nil, errors.New("keys: bucket is required")
	}
	return &Store{kv: kv, log: log.Named("keys"), now: func() time.Time { return time.Now().UTC() },
		byID: map[string]Key{}, byHash: map[Digest]string{}}, nil
}

// Start watches the bucket and returns once the current keys are loaded.
func (s *Store) Start(ctx context.Context) error {
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	synced := make(chan struct{})
	s.wg.Add(1)
	go s.run(wctx, synced)
	select {
	case <-synced:
		return nil
	case <-ctx.Done():
		cancel()
		s.wg.Wait()
		return fmt.Errorf("keys: initial sync: %w", ctx.Err())
	}
}

// Stop ends the watch.
func (s *Store) Stop(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("keys: stop: %w", ctx.Err())
	}
}

// Lookup returns the managed key whose secret is presented.
func (s *Store) Lookup(secret string) (Key, bool) {
	d := DigestOf(secret)
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.byID[s.byHash[d]]
	return k, ok
}

// List returns every managed key (metadata only), oldest first.
func (s *Store) List() []Key {
	s.mu.RLock()
	out := make([]Key, 0, len(s.byID))
	for _, k := range s.byID {
		k.Hash = ""
		out = append(out, k)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Key) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Create stores a new key and returns it with its secret, which exists
// nowhere else: only its hash is kept.
func (s *Store) Create(ctx context.Context, in NewKey) (Key, string, error) {
	if err := in.validate(); err != nil {
		return Key{}, "", err
	}
	secret, d, id, err := generate()
	if err != nil {
		return Key{}, "", err
	}
	k := Key{ID: id, Tenant: in.Tenant, Name: in.Name, Scopes: dedupe(in.Scopes), Session: in.Session,
		CreatedAt: s.now().Truncate(time.Second), Hash: fmt.Sprintf("%x", d[:])}
	body, err := json.Marshal(k)
	if err != nil {
		return Key{}, "", fmt.Errorf("keys: encode: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := s.kv.Create(ctx, id, body); err != nil {
		return Key{}, "", fmt.Errorf("keys: store: %w", err)
	}
	s.put(k) // usable here at once; other replicas see it through the watch
	k.Hash = ""
	return k, secret, nil
}

// Revoke deletes key id; every replica refuses it once its watch delivers
// the delete (well under a second on a healthy bus).
func (s *Store) Revoke(ctx context.Context, id string) error {
	s.mu.RLock()
	_, ok := s.byID[id]
	s.mu.RUnlock()
	if !ok {
		return ErrNotFound
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if err := s.kv.Delete(ctx, id); err != nil {
		return fmt.Errorf("keys: revoke: %w", err)
	}
	s.remove(id)
	return nil
}

func (in NewKey) validate() error {
	switch {
	case !session.ValidTenant(in.Tenant):
		return fmt.Errorf("%w: tenant must match [A-Za-z0-9_-]{1,64} and not start with \"_\"", ErrInvalid)
	case in.Name == "" || len(in.Name) > maxNameLen || !session.ValidText(in.Name):
		return fmt.Errorf("%w: name must be 1 to %d bytes without control or bidi characters", ErrInvalid, maxNameLen)
	case len(in.Scopes) == 0:
		return fmt.Errorf("%w: scopes must name at least one scope", ErrInvalid)
	case in.Session != "" && !session.ValidID(in.Session):
		return fmt.Errorf("%w: session must match [A-Za-z0-9_-]{1,64}", ErrInvalid)
	}
	for _, sc := range in.Scopes {
		if !sc.Valid() {
			return fmt.Errorf("%w: scopes: unknown scope %q", ErrInvalid, sc)
		}
	}
	if in.Session != "" && Has(in.Scopes, Admin) {
		return fmt.Errorf("%w: scopes: a session-bound key cannot have the admin scope", ErrInvalid)
	}
	return nil
}

func dedupe(in []Scope) []Scope {
	out := make([]Scope, 0, len(in))
	for _, s := range All {
		if Has(in, s) {
			out = append(out, s)
		}
	}
	return out
}
