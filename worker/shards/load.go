package shards

import (
	"context"
	"time"

	"go.mau.fi/whatsmeow/store"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/subject"
	"github.com/switchboard-gw/switchboard/worker/pacer"
	"github.com/switchboard-gw/switchboard/worker/report"
	"github.com/switchboard-gw/switchboard/worker/sessions"
)

// loadSessions reads the shard's sessions (one scan shared with the shards
// starting at the same time), creates their actors and hands the ones that
// should run to the pacer. It retries until ctx ends.
func (s *Shard) loadSessions(ctx context.Context) error {
	for {
		err := s.loadOnce(ctx)
		if err == nil {
			return nil
		}
		s.log.Warn("session load failed", zap.Error(err))
		if !sleep(ctx, retryWait) {
			return ctx.Err()
		}
	}
}

// slowLoad is how long a shard's load may take before it is logged at info.
const slowLoad = time.Second

func (s *Shard) loadOnce(ctx context.Context) error {
	start := time.Now()
	snaps, err := s.cfg.Scanner.Sessions(ctx, s.cfg.Index)
	if err != nil {
		return err
	}
	scanned := time.Now()
	var run []report.Snapshot
	for _, snap := range snaps {
		if sessions.Resumable(snap.Record) {
			run = append(run, snap)
		} else {
			s.actor(ctx, snap.Record.Tenant, snap.Record.ID, snap)
		}
	}
	// The sessions to run go in chunks, each marked STARTING, its devices
	// read and its connects queued before the next: a takeover's first
	// connects start after one chunk's work, not after the whole shard's
	// (470 sessions a shard at 30,000: seconds of KV writes and device reads
	// while the pacer stood idle). The marks (NATS) and the device read
	// (the database) of a chunk run side by side; each session is still
	// marked before it connects.
	var firstQueued time.Duration
	loading := s.cfg.Deps.Loading
	if loading != nil {
		loading.Add(int64(len(run)))
	}
	for len(run) > 0 {
		chunk := run[:min(s.cfg.LoadChunk, len(run))]
		run = run[len(chunk):]
		devs := s.readDevices(ctx, chunk)
		s.markTakenOver(ctx, chunk)
		// Created after the marks: each actor starts from its record's
		// revision as marked.
		actors := make([]*sessions.Session, len(chunk))
		for i, snap := range chunk {
			actors[i] = s.actor(ctx, snap.Record.Tenant, snap.Record.ID, snap)
		}
		preload(actors, <-devs)
		jobs := make([]pacer.Job, len(actors))
		for i, a := range actors {
			jobs[i] = a.ResumeJob()
		}
		s.cfg.Deps.Pacer.Submit(jobs...)
		if loading != nil {
			loading.Add(-int64(len(chunk)))
		}
		if firstQueued == 0 {
			firstQueued = time.Since(scanned)
		}
	}
	// What a takeover waited for before its connects were queued: worth
	// an info line only when it was slow.
	log := s.log.Debug
	if time.Since(start) >= slowLoad {
		log = s.log.Info
	}
	log("shard sessions loaded", zap.Int("sessions", len(snaps)),
		zap.Duration("scan", scanned.Sub(start)), zap.Duration("first_queued", firstQueued),
		zap.Duration("all_queued", time.Since(scanned)))
	return nil
}

// readDevices reads the devices of the sessions about to reconnect in bulk,
// on a goroutine, and sends them (nil on failure): their connects then read
// nothing (a query per 200 sessions instead of two per session). On failure
// each session reads its device when it connects, as without.
func (s *Shard) readDevices(ctx context.Context, snaps []report.Snapshot) <-chan map[devstore.SessionRef]*store.Device {
	out := make(chan map[devstore.SessionRef]*store.Device, 1)
	refs := make([]devstore.SessionRef, len(snaps))
	for i, snap := range snaps {
		refs[i] = devstore.SessionRef{Tenant: snap.Record.Tenant, Session: snap.Record.ID}
	}
	go func() {
		lctx, cancel := context.WithTimeout(ctx, s.cfg.Deps.OpTimeout)
		defer cancel()
		devs, err := s.cfg.Deps.Devices.DevicesFor(lctx, refs)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("devices not preloaded", zap.Error(err))
		}
		out <- devs
	}()
	return out
}

// preload hands each actor its device from devs, where there is one.
func preload(actors []*sessions.Session, devs map[devstore.SessionRef]*store.Device) {
	for _, a := range actors {
		if dev := devs[devstore.SessionRef{Tenant: a.Tenant(), Session: a.ID()}]; dev != nil {
			a.Preload(dev)
		}
	}
}

// actor returns the actor of tenant/id, creating it (with snap, which may be
// empty) if needed.
func (s *Shard) actor(ctx context.Context, tenant, id string, snap report.Snapshot) *sessions.Session {
	key := subject.SessionKey(tenant, id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.actors[key]; ok {
		return a
	}
	a := sessions.New(ctx, s.cfg.Deps, s.cfg.Fence, tenant, id, snap, s.forget)
	s.actors[key] = a
	return a
}

// forget drops an actor whose session is gone.
func (s *Shard) forget(a *sessions.Session) {
	key := subject.SessionKey(a.Tenant(), a.ID())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.actors[key] == a {
		delete(s.actors, key)
	}
}

// markTakenOver writes STARTING, under this shard's epoch, on every session
// that should run, before any of them reconnects: a record another owner
// wrote (WORKING, say) is not this owner's word. A failure is logged; the
// api still reads such a record as connecting, because its epoch is not the
// lease's.
func (s *Shard) markTakenOver(ctx context.Context, snaps []report.Snapshot) {
	ptrs := make([]*report.Snapshot, 0, len(snaps))
	for i := range snaps {
		if sessions.Resumable(snaps[i].Record) {
			ptrs = append(ptrs, &snaps[i])
		}
	}
	if len(ptrs) == 0 {
		return
	}
	mctx, cancel := context.WithTimeout(ctx, s.cfg.Deps.OpTimeout)
	defer cancel()
	if _, err := s.cfg.Deps.Reporter.MarkConnecting(mctx, s.cfg.Fence, ptrs, ""); err != nil && ctx.Err() == nil {
		s.log.Warn("takeover not recorded on every session", zap.Error(err))
	}
}
