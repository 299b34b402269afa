package lease

import "hash/fnv"

// Rendezvous returns the owner of key among candidates by highest random
// weight: when a candidate joins or leaves, only the keys it wins or held
// move. It returns "" when there are no candidates.
func Rendezvous(key string, candidates []string) string {
	var (
		best       string
		bestWeight uint64
	)
	for _, c := range candidates {
		w := weight(key, c)
		if best == "" || w > bestWeight || (w == bestWeight && c < best) {
			best, bestWeight = c, w
		}
	}
	return best
}

func weight(key, candidate string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(candidate))
	// splitmix64 finaliser: FNV alone distributes similar ids poorly.
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
