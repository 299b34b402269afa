package scheduler

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/subject"
)

// stateKV creates (once) and returns the scheduler's state bucket, with the
// replica count of the shared scheduler bucket.
func (s *Scheduler) stateKV(ctx context.Context) (jetstream.KeyValue, error) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if s.state != nil {
		return s.state, nil
	}
	replicas := 1
	if st, err := s.b.Sched.Status(ctx); err == nil {
		if bs, ok := st.(*jetstream.KeyValueBucketStatus); ok && bs.StreamInfo() != nil {
			replicas = bs.StreamInfo().Config.Replicas
		}
	}
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:   subject.SchedulerStateBucket,
		History:  1,
		Storage:  jetstream.FileStorage,
		Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("scheduler: bucket %s: %w", subject.SchedulerStateBucket, err)
	}
	s.state = kv
	return kv, nil
}
