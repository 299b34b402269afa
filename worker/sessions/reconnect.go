package sessions

import (
	"errors"
	"time"

	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/pacer"
)

// connectJob is a paced connect of client generation gen. It is stale, and
// uses no pacer slot, once the actor is closed or its client was replaced
// or dropped.
func (s *Session) connectJob(gen uint64) pacer.Job {
	return pacer.Job{
		Run:   func() { s.enqueue(item{kind: kindResume, gen: gen}) },
		Stale: func() bool { return s.genNow.Load() != gen || s.Closed() },
	}
}

// scheduleConnect queues a connect of the current client generation at the
// pacer, after delay. A pending one is replaced.
func (s *Session) scheduleConnect(delay time.Duration) {
	s.stopRetry()
	job := s.connectJob(s.gen)
	if delay <= 0 {
		s.deps.Pacer.Submit(job)
		return
	}
	s.retry = time.AfterFunc(delay, func() { s.deps.Pacer.Submit(job) })
}

func (s *Session) stopRetry() {
	if s.retry != nil {
		s.retry.Stop()
		s.retry = nil
	}
}

// backoff is the wait before the next reconnect after s.retries failures
// in a row: none after a first drop, then 2 s more per failure, capped.
func (s *Session) backoff() time.Duration {
	return min(time.Duration(s.retries)*reconnectStep, reconnectMaxWait)
}

// resume connects a session that should be running, once the pacer has
// released it. A linked device (or one whose device store could not be
// read) that fails to connect stays STARTING and is retried with backoff;
// a registration that fails to connect is FAILED.
func (s *Session) resume() error {
	if err := s.load(); err != nil {
		return err
	}
	if !s.want || (s.client != nil && s.client.IsConnected()) {
		return nil
	}
	err := s.connect()
	if err == nil {
		st := s.snap.Record.State
		if s.linked() || (st.Status == session.StatusStarting && st.LastError == "" && st.Epoch == s.fence.Epoch) {
			// A linked device logs in within moments and Connected writes
			// the state (a takeover of thousands of sessions writes each
			// once, not twice); a registration's QR moves it on.
			return nil
		}
		return s.setStatus(session.StatusStarting, "")
	}
	if errors.Is(err, ErrClosed) || s.ctx.Err() != nil {
		// Closed while waiting for a connect slot or while connecting (the
		// shard is stopping): not a failure; the shard records it
		// connecting and its next owner resumes it.
		return nil
	}
	if !s.linked() && !errors.Is(err, errDeviceStore) {
		return s.setStatus(session.StatusFailed, "connect: "+err.Error())
	}
	s.retries++
	s.scheduleConnect(s.backoff())
	return s.setStatus(session.StatusStarting, "connect: "+err.Error())
}
