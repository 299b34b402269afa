package scheduler

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/scheduler/usage"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// TestUsageReport puts a period's events into WA_EVT and checks the
// per-tenant usage the scheduler publishes on wa.usage.<tenant>, once, also
// when another replica reports the same period later.
func TestUsageReport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	start := time.Now().UTC().Truncate(time.Minute).Add(-30 * time.Minute)
	end := start.Add(10 * time.Minute)
	n := 0
	pub := func(tenant, sess string, typ event.Type, at time.Time, data any) {
		t.Helper()
		n++
		raw, _ := json.Marshal(data)
		body, _ := json.Marshal(event.Envelope{ID: strconv.Itoa(n), Type: typ, Tenant: tenant, Session: sess, Time: at, Data: raw})
		if _, err := e.js.Publish(ctx, subject.Event(tenant, sess, string(typ)), body); err != nil {
			t.Fatal(err)
		}
	}
	st := func(status, prev string) event.Status { return event.Status{Status: status, Previous: prev} }
	// a: WORKING from +1 min to +4 min → 180 s.
	pub(testTenant, "a", event.StatusChanged, start.Add(time.Minute), st("WORKING", "STARTING"))
	pub(testTenant, "a", event.StatusChanged, start.Add(4*time.Minute), st("STOPPED", "WORKING"))
	// b: its first event, after the period, says it was WORKING → 600 s.
	pub(testTenant, "b", event.StatusChanged, end.Add(time.Minute), st("STOPPED", "WORKING"))
	// e: WORKING since before the period → 600 s.
	pub(testTenant, "e", event.StatusChanged, start.Add(-30*time.Second), st("WORKING", "STARTING"))
	// c: no event, WORKING since long ago → 600 s; d: no event, STOPPED → 0.
	e.put(record("c", session.StatusWorking, start, func(s *session.State) { s.StatusSince = start.Add(-time.Hour) }))
	e.put(record("d", session.StatusStopped, start, func(s *session.State) { s.StatusSince = start.Add(-time.Hour) }))
	for i, s := range []string{"sent", "sent", "delivered", "sent", "failed", "read"} {
		pub(testTenant, "a", event.MessageStatus, start.Add(time.Duration(i+1)*time.Second), event.MessageStatusData{ID: "m" + strconv.Itoa(i), Status: s})
	}
	pub(testTenant, "a", event.MessageStatus, start.Add(-time.Second), event.MessageStatusData{ID: "old", Status: "sent"})
	pub(testTenant, "a", event.MessageStatus, end, event.MessageStatusData{ID: "late", Status: "sent"})
	pub(testTenant, "a", event.MessageReceived, start.Add(time.Second), event.Message{ID: "i1", Text: "not counted by text"})
	pub(testTenant, "c", event.MessageReceived, start.Add(2*time.Second), event.Message{ID: "i2"})
	pub("globex", "g", event.MessageReceived, start.Add(3*time.Second), event.Message{ID: "i3"})

	s := e.scheduler(Config{ID: "s1", Interval: time.Hour})
	reports, err := s.ReportUsage(ctx, start, end)
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 2 {
		t.Fatalf("reports = %+v, want acme and globex", reports)
	}
	msgs, err := e.messages(subject.UsageStream)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]usage.Report{}
	for _, m := range msgs {
		var r usage.Report
		if err := json.Unmarshal(m.Data, &r); err != nil {
			t.Fatal(err)
		}
		if m.Subject != subject.Usage(r.Tenant) || m.Header.Get(jetstream.MsgIDHeader) != usage.ReportID(r.Tenant, start, end) {
			t.Fatalf("report on %s with id %q", m.Subject, m.Header.Get(jetstream.MsgIDHeader))
		}
		got[r.Tenant] = r
	}
	want := usage.Report{Tenant: testTenant, PeriodStart: start, PeriodEnd: end,
		SessionsWorkingSeconds: 1980, MessagesSent: 3, MessagesReceived: 2, MessagesFailed: 1}
	if a := got[testTenant]; a != want {
		t.Fatalf("acme = %+v\nwant   %+v", a, want)
	}
	if g := got["globex"]; g.MessagesReceived != 1 || g.SessionsWorkingSeconds != 0 || g.MessagesSent != 0 {
		t.Fatalf("globex = %+v", g)
	}

	// Another replica (a leader change) reports the same period: nothing new.
	s2 := e.scheduler(Config{ID: "s2", Interval: time.Hour})
	again, err := s2.ReportUsage(ctx, start, end)
	if err != nil || len(again) != 0 {
		t.Fatalf("second report = %v, %v", again, err)
	}
	if msgs, _ := e.messages(subject.UsageStream); len(msgs) != 2 {
		t.Fatalf("usage stream holds %d reports, want 2", len(msgs))
	}
}
