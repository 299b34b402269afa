package waclient_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/util/keys"

	"github.com/switchboard-gw/switchboard/shared/waclient"
)

// Two simulator processes sharing a root key split the devices between
// them, and a device always lands on the same one: it pairs there and must
// log in there again from any worker.
func TestPoolSpreadsDevicesStably(t *testing.T) {
	ctx := context.Background()
	root := bytes.Repeat([]byte{1}, 32) // the key TestPointAtSimulator installs
	a, b := startSim(t, root), startSim(t, root)
	pool, err := waclient.PointAtSimulators(ctx, a.ControlAddr()+", "+b.ControlAddr())
	if err != nil {
		t.Fatalf("point: %v", err)
	}
	if pool.Len() != 2 {
		t.Fatalf("pool of %d, want 2", pool.Len())
	}
	again, err := waclient.PointAtSimulators(ctx, a.ControlAddr()+","+b.ControlAddr())
	if err != nil {
		t.Fatalf("second pool: %v", err)
	}
	seen := map[string]int{}
	for range 200 {
		dev := &store.Device{NoiseKey: keys.NewKeyPair()}
		got := pool.For(dev).WSAddr()
		if got != pool.For(dev).WSAddr() || got != again.For(dev).WSAddr() {
			t.Fatal("one device mapped to two simulators")
		}
		seen[got]++
	}
	if seen[a.WSAddr()] < 60 || seen[b.WSAddr()] < 60 {
		t.Fatalf("200 devices split %v, want both simulators used evenly", seen)
	}
	// A device without keys yet (nothing to hash) goes to the first.
	if pool.For(&store.Device{}).WSAddr() != a.WSAddr() {
		t.Fatal("keyless device not on the first simulator")
	}
}

func TestPoolRefusesMixedRootKeys(t *testing.T) {
	ctx := context.Background()
	a := startSim(t, bytes.Repeat([]byte{1}, 32))
	other := startSim(t, bytes.Repeat([]byte{9}, 32))
	if _, err := waclient.PointAtSimulators(ctx, a.ControlAddr()+","+other.ControlAddr()); !errors.Is(err, waclient.ErrKeyConflict) {
		t.Fatalf("mixed root keys: %v, want ErrKeyConflict", err)
	}
	if _, err := waclient.PointAtSimulators(ctx, " , "); err == nil {
		t.Fatal("empty list accepted")
	}
}
