package wasim

import (
	"sync"
	"sync/atomic"
)

// registryMutex guards the registry (Server.mu) and counts its unlocks:
// every change to the registry is made under it, so a count that has not
// moved since the last state snapshot means there is nothing new to save.
// Without it the persist loop built and encoded the whole registry every
// second at idle (10,000 devices: most of an idle simulator's CPU).
type registryMutex struct {
	sync.Mutex
	unlocks atomic.Uint64
}

// Unlock counts the release, then releases.
func (m *registryMutex) Unlock() {
	m.unlocks.Add(1)
	m.Mutex.Unlock()
}
