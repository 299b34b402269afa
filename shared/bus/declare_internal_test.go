package bus

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// TestDeclareRetriesNoPeers: "no suitable peers" while a cluster's routes
// form is retried; any other 4xx refusal is final.
func TestDeclareRetriesNoPeers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	calls := 0
	err := declare(ctx, func(context.Context) error {
		calls++
		if calls < 3 {
			return &jetstream.APIError{Code: 400, ErrorCode: errCodeNoPeers, Description: "no suitable peers for placement, peer offline"}
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("no peers: err %v after %d calls, want nil after 3", err, calls)
	}
	calls = 0
	refused := &jetstream.APIError{Code: 400, ErrorCode: jetstream.JSErrCodeStreamNameInUse, Description: "stream name already in use"}
	err = declare(ctx, func(context.Context) error { calls++; return refused })
	if !errors.Is(err, refused) || calls != 1 {
		t.Fatalf("refusal: err %v after %d calls, want it at once", err, calls)
	}
}
