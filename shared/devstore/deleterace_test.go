package devstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
)

// TestConcurrentDeletesOfASealedDevice: whatsmeow deletes a device from its
// event goroutine on a device_removed stream error, which a logout
// provokes, while the session's logout deletes it too; each Delete clears
// the device's ID when done. A delete that read the ID again after its
// first statement dereferenced nil (a panic that took a CI run down).
// Deleting from two goroutines at once, many times, must never panic and
// must leave neither the device nor its sealed keys.
func TestConcurrentDeletesOfASealedDevice(t *testing.T) {
	devstoretest.ForEach(t, func(t *testing.T, url string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		s, err := devstore.Open(ctx, url, zaptest.NewLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.SetBox(testBox(t))
		for i := range 150 {
			session := fmt.Sprintf("del%d", i)
			dev := pair(ctx, t, s, fmt.Sprintf("1555077%04d:1@s.whatsapp.net", i), session)
			var wg sync.WaitGroup
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_ = dev.Delete(ctx) // the loser of the race finds the ID gone: an error, not a panic
				}()
			}
			wg.Wait()
			if got, err := s.DeviceFor(ctx, "t1", session); err != nil || got != nil {
				t.Fatalf("device %d still loads after the deletes (%v)", i, err)
			}
		}
		var left int
		if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM switchboard_device_keys").Scan(&left); err != nil || left != 0 {
			t.Fatalf("sealed keys left behind: %d (%v)", left, err)
		}
	})
}
