package keys_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/api/keys"
	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
)

func bucket(t *testing.T) jetstream.KeyValue {
	t.Helper()
	_, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Ensure(ctx, js, bus.Config{Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	return b.Keys
}

func start(t *testing.T, kv jetstream.KeyValue) *keys.Store {
	t.Helper()
	s, err := keys.New(kv, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	return s
}

// TestStore: generated keys are unique sb_ strings of 256 bits, found by
// their secret only, loaded by a store started later, and gone once revoked.
func TestStore(t *testing.T) {
	kv := bucket(t)
	a := start(t, kv)
	seen := map[string]bool{}
	var first keys.Key
	var firstSecret string
	for i := range 20 {
		k, secret, err := a.Create(context.Background(), keys.NewKey{Tenant: "acme", Name: "k", Scopes: []keys.Scope{keys.SessionsRead, keys.SessionsRead}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, keys.Prefix) || len(secret) != len(keys.Prefix)+43 || seen[secret] || k.Hash != "" {
			t.Fatalf("key %d: %q %+v", i, secret, k)
		}
		if len(k.Scopes) != 1 {
			t.Fatalf("scopes not deduplicated: %v", k.Scopes)
		}
		seen[secret] = true
		if i == 0 {
			first, firstSecret = k, secret
		}
	}
	if _, ok := a.Lookup(firstSecret + "x"); ok {
		t.Fatal("a longer secret matched")
	}
	b := start(t, kv) // loads what is already there
	if k, ok := b.Lookup(firstSecret); !ok || k.ID != first.ID || k.Tenant != "acme" {
		t.Fatalf("second store lookup: %+v %v", k, ok)
	}
	if n := len(b.List()); n != 20 {
		t.Fatalf("list %d", n)
	}
	if err := a.Revoke(context.Background(), first.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		if _, ok := b.Lookup(firstSecret); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("revoked key still found by the other store after 2 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := a.Revoke(context.Background(), first.ID); !errors.Is(err, keys.ErrNotFound) {
		t.Fatalf("second revoke: %v", err)
	}
	for _, bad := range []keys.NewKey{
		{Tenant: "_system", Name: "n", Scopes: []keys.Scope{keys.Admin}},
		{Tenant: "acme", Name: "a\x00", Scopes: []keys.Scope{keys.Admin}},
		{Tenant: "acme", Name: "n", Scopes: []keys.Scope{"root"}},
		{Tenant: "acme", Name: "n"},
		{Tenant: "acme", Name: "n", Scopes: []keys.Scope{keys.Admin}, Session: "s1"},
	} {
		if _, _, err := a.Create(context.Background(), bad); !errors.Is(err, keys.ErrInvalid) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
