package ownership_test

import (
	"fmt"
	"testing"

	"github.com/switchboard-gw/switchboard/worker/ownership"
)

// TestTargetsPartition: every shard has exactly one target owner, a join
// moves only shards to the joiner, and a worker counts itself live.
func TestTargetsPartition(t *testing.T) {
	const shards = 64
	for _, workers := range [][]string{{"a"}, {"a", "b"}, {"w-1", "w-2", "w-3", "w-4", "w-5"}} {
		t.Run(fmt.Sprint(len(workers)), func(t *testing.T) {
			owner := map[int]string{}
			for _, w := range workers {
				for p := range ownership.Targets(w, workers, shards) {
					if o, dup := owner[p]; dup {
						t.Fatalf("shard %d targeted by %s and %s", p, o, w)
					}
					owner[p] = w
				}
			}
			if len(owner) != shards {
				t.Fatalf("%d of %d shards have an owner", len(owner), shards)
			}
			joined := append(append([]string{}, workers...), "new")
			for p, o := range owner {
				if n := ownerOf(p, joined, shards); n != o && n != "new" {
					t.Errorf("join moved shard %d from %s to %s", p, o, n)
				}
			}
		})
	}
	if got := ownership.Targets("solo", nil, 8); len(got) != 8 {
		t.Errorf("a worker not yet listed targets %d shards, want 8", len(got))
	}
}

func ownerOf(p int, workers []string, shards int) string {
	for _, w := range workers {
		if ownership.Targets(w, workers, shards)[p] {
			return w
		}
	}
	return ""
}
