package waclient

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"

	"go.mau.fi/whatsmeow/store"
)

// Pool spreads whatsmeow clients over one or more simulators that share a
// Noise root key. A simulator process holds one socket per connected
// device, so past one process's open-file limit (20,000 on the load box)
// the devices have to be split between processes.
type Pool struct {
	targets []*Target
}

// PointAtSimulators points at every simulator in list, a comma-separated
// list of control addresses (PointAtSimulator for each). Simulators with
// different root keys cannot serve one process: that is ErrKeyConflict.
func PointAtSimulators(ctx context.Context, list string) (*Pool, error) {
	p := &Pool{}
	for _, addr := range strings.Split(list, ",") {
		addr = strings.TrimSpace(addr)
		if addr == "" {
			continue
		}
		t, err := PointAtSimulator(ctx, addr)
		if err != nil {
			return nil, err
		}
		p.targets = append(p.targets, t)
	}
	if len(p.targets) == 0 {
		return nil, fmt.Errorf("waclient: no simulator address in %q", list)
	}
	return p, nil
}

// For is the simulator dev talks to. The choice hashes the device's Noise
// key, which whatsmeow creates with the device and keeps for its life: a
// device pairs with one simulator and logs in to the same one on every
// later start, from whichever worker holds its session.
func (p *Pool) For(dev *store.Device) *Target {
	if len(p.targets) == 1 || dev == nil || dev.NoiseKey == nil || dev.NoiseKey.Pub == nil {
		return p.targets[0]
	}
	h := fnv.New32a()
	_, _ = h.Write(dev.NoiseKey.Pub[:])
	return p.targets[h.Sum32()%uint32(len(p.targets))]
}

// Len is how many simulators the pool spreads over.
func (p *Pool) Len() int { return len(p.targets) }
