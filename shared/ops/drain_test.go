package ops_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/ops"
)

// GET /drain starts the drain and answers only once it is done; a server
// without a drain has no such route.
func TestDrainAnswersWhenDone(t *testing.T) {
	started, finish := make(chan struct{}), make(chan struct{})
	drain := func(ctx context.Context) error {
		close(started)
		select {
		case <-finish:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	srv, err := ops.NewServer(ops.ServerConfig{Addr: "127.0.0.1:0", Gatherer: ops.NewRegistry(), Probe: ops.NewProbe(), Drain: drain}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Stop(context.Background()) }()

	answered := make(chan int, 1)
	go func() {
		code, _ := get(t, srv.Addr(), ops.PathDrain)
		answered <- code
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("GET /drain did not start the drain")
	}
	select {
	case code := <-answered:
		t.Fatalf("GET /drain answered %d before the drain was done", code)
	case <-time.After(100 * time.Millisecond):
	}
	close(finish)
	select {
	case code := <-answered:
		if code != http.StatusOK {
			t.Fatalf("GET /drain = %d, want 200", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("GET /drain did not answer after the drain")
	}

	plain, err := ops.NewServer(ops.ServerConfig{Addr: "127.0.0.1:0", Gatherer: ops.NewRegistry(), Probe: ops.NewProbe()}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = plain.Stop(context.Background()) }()
	if code, _ := get(t, plain.Addr(), ops.PathDrain); code != http.StatusNotFound {
		t.Fatalf("GET /drain without a drain = %d, want 404", code)
	}
}
