// Package shard maps sessions to shards.
package shard

import "hash/fnv"

// DefaultCount is the default number of shards.
const DefaultCount = 64

// Of returns the shard of a session. It is the same function as the
// nats-server subject transform partition(n,1,2) on wa.cmd.<tenant>.<session>.*,
// which hashes the tenant and session tokens concatenated without separator
// with FNV-1a 32, so the server routes a command to the shard this returns.
func Of(tenant, session string, n int) int {
	if n <= 0 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(tenant))
	_, _ = h.Write([]byte(session))
	return int(h.Sum32() % uint32(n))
}
