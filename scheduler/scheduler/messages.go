package scheduler

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/switchboard-gw/switchboard/scheduler/health"
	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// systemTenant is the tenant token of events about the cluster itself.
const systemTenant = "_system"

// GivenUpData is the data of a RestartGivenUp event.
type GivenUpData struct {
	// Attempts is how many restarts were issued.
	Attempts int `json:"attempts"`
	// Reason is the rule that found the session unhealthy.
	Reason string `json:"reason"`
	// Status and LastError are the session's state when the scheduler gave up.
	Status    string `json:"status"`
	LastError string `json:"last_error,omitempty"`
	// LastRestartAt is when the last restart was issued.
	LastRestartAt time.Time `json:"last_restart_at"`
}

// LoggedOutData is the data of a LoggedOut event sent by the scheduler.
type LoggedOutData struct {
	Status          string     `json:"status"`
	LastError       string     `json:"last_error,omitempty"`
	LastConnectedAt *time.Time `json:"last_connected_at,omitempty"`
	// Source is "scheduler" (the worker sends its own when it sees the logout).
	Source string `json:"source"`
}

// ShardOrphanedData is the data of a ShardOrphaned event.
type ShardOrphanedData struct {
	Shard  int    `json:"shard"`
	Shards int    `json:"shards"`
	Sweep  string `json:"sweep"`
}

// CommandID is the deterministic id of the restart a sweep issues for a
// session; it is the Nats-Msg-Id, so publishing it twice restarts once.
func CommandID(sweep, tenant, sess string) string {
	return "sweep/" + sweep + "/" + tenant + "/" + sess
}

// restartCommand builds the restart of rec issued by sweep.
func restartCommand(sweep string, rec session.Record, v health.Verdict, max int, now time.Time) (outMsg, error) {
	reason := fmt.Sprintf("scheduler: %s (attempt %d/%d)", v.Reason, v.Book.Attempts, max)
	if rec.State.LastError != "" {
		reason += ": " + rec.State.LastError
	}
	c := command.Command{
		ID: CommandID(sweep, rec.Tenant, rec.ID), Tenant: rec.Tenant, Session: rec.ID,
		Verb: command.Restart, IssuedAt: now, Reason: reason,
	}
	body, err := c.Encode()
	if err != nil {
		return outMsg{}, err
	}
	return outMsg{subject: subject.Command(rec.Tenant, rec.ID, string(command.Restart)), id: c.ID, body: body}, nil
}

// givenUpEvent is sent once per give-up: its id is fixed by the last restart.
func givenUpEvent(rec session.Record, v health.Verdict, now time.Time) (outMsg, error) {
	id := fmt.Sprintf("%s/%s/%s/%d", event.RestartGivenUp, rec.Tenant, rec.ID, v.Book.LastAt.UnixNano())
	return sessionEvent(event.RestartGivenUp, id, rec, now, GivenUpData{
		Attempts: v.Book.Attempts, Reason: string(v.Reason), Status: string(rec.State.Status),
		LastError: rec.State.LastError, LastRestartAt: v.Book.LastAt,
	})
}

// loggedOutEvent is sent once per logout: its id is fixed by the logout key.
func loggedOutEvent(rec session.Record, v health.Verdict, now time.Time) (outMsg, error) {
	id := fmt.Sprintf("%s/%s/%s/%s", event.LoggedOut, rec.Tenant, rec.ID, v.LogoutKey)
	return sessionEvent(event.LoggedOut, id, rec, now, LoggedOutData{
		Status: string(rec.State.Status), LastError: rec.State.LastError,
		LastConnectedAt: rec.State.LastConnectedAt, Source: "scheduler",
	})
}

func sessionEvent(typ event.Type, id string, rec session.Record, now time.Time, data any) (outMsg, error) {
	return envelope(subject.Event(rec.Tenant, rec.ID, string(typ)), event.Envelope{
		ID: id, Type: typ, Tenant: rec.Tenant, Session: rec.ID, Time: now,
	}, data)
}

// orphanEvent audits a shard without a lease holder, once per sweep.
func orphanEvent(sweep string, p, shards int, now time.Time) (outMsg, error) {
	sess := "shard-" + strconv.Itoa(p)
	return envelope(subject.Event(systemTenant, sess, string(event.ShardOrphaned)), event.Envelope{
		ID:   fmt.Sprintf("%s/%s/%d", event.ShardOrphaned, sweep, p),
		Type: event.ShardOrphaned, Tenant: systemTenant, Session: sess, Time: now,
	}, ShardOrphanedData{Shard: p, Shards: shards, Sweep: sweep})
}

func envelope(subj string, env event.Envelope, data any) (outMsg, error) {
	d, err := json.Marshal(data)
	if err != nil {
		return outMsg{}, fmt.Errorf("scheduler: encode %s data: %w", env.Type, err)
	}
	env.Data = d
	body, err := json.Marshal(env)
	if err != nil {
		return outMsg{}, fmt.Errorf("scheduler: encode %s: %w", env.Type, err)
	}
	return outMsg{subject: subj, id: env.ID, body: body}, nil
}
