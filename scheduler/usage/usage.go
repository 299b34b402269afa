// Package usage computes per-tenant usage for billing from the event
// stream: seconds sessions spent WORKING (from session_status events),
// messages sent and failed (message_status events) and received (message
// events). It never reads message texts: only the envelope and status
// fields are decoded.
package usage

import (
	"time"
)

// Report is one tenant's usage over one period, published on
// wa.usage.<tenant>. Field names are a public contract.
type Report struct {
	Tenant                 string    `json:"tenant"`
	PeriodStart            time.Time `json:"period_start"`
	PeriodEnd              time.Time `json:"period_end"`
	SessionsWorkingSeconds int64     `json:"sessions_working_seconds"`
	MessagesSent           int64     `json:"messages_sent"`
	MessagesReceived       int64     `json:"messages_received"`
	MessagesFailed         int64     `json:"messages_failed"`
}

// ReportID is the report's Nats-Msg-Id: the same tenant and period always
// get the same id, whichever scheduler replica publishes it.
func ReportID(tenant string, start, end time.Time) string {
	return "usage/" + tenant + "/" + start.UTC().Format(time.RFC3339) + "/" + end.UTC().Format(time.RFC3339)
}

// systemTenant carries audit events, not a customer's.
const systemTenant = "_system"

// working is what is known about one session's WORKING time.
type working struct {
	// known is set once the status at period start is known.
	known bool
	// on is whether the session is WORKING at cursor.
	on     bool
	cursor time.Time
	secs   float64
}

// period accumulates one period's usage.
type period struct {
	start, end time.Time
	tenants    map[string]*Report
	sessions   map[[2]string]*working
}

func newPeriod(start, end time.Time) *period {
	return &period{start: start, end: end, tenants: map[string]*Report{}, sessions: map[[2]string]*working{}}
}

func (p *period) tenant(t string) *Report {
	r := p.tenants[t]
	if r == nil {
		r = &Report{Tenant: t, PeriodStart: p.start, PeriodEnd: p.end}
		p.tenants[t] = r
	}
	return r
}

func (p *period) session(tenant, id string) *working {
	k := [2]string{tenant, id}
	w := p.sessions[k]
	if w == nil {
		w = &working{cursor: p.start}
		p.sessions[k] = w
	}
	return w
}

// status applies one session_status event at time at: the status before
// it (previous) tells what the session was since the last known point.
func (p *period) status(tenant, id string, at time.Time, status, previous string) {
	w := p.session(tenant, id)
	if !w.known {
		w.known, w.on = true, previous == working_
	}
	at = clamp(at, p.start, p.end)
	if w.on && at.After(w.cursor) {
		w.secs += at.Sub(w.cursor).Seconds()
	}
	if at.After(w.cursor) {
		w.cursor = at
	}
	w.on = status == working_
}

// working_ is the internal WORKING status word.
const working_ = "WORKING"

// finish closes every session's time at period end. now describes sessions
// the stream said nothing about: whether each is WORKING now and since when.
func (p *period) finish(now map[[2]string]current) []Report {
	for k, c := range now {
		w := p.session(k[0], k[1])
		if !w.known {
			w.known = true
			w.on = c.status == working_ && !c.since.After(p.start)
		}
		p.tenant(k[0])
	}
	for k, w := range p.sessions {
		if w.on && p.end.After(w.cursor) {
			w.secs += p.end.Sub(w.cursor).Seconds()
		}
		p.tenant(k[0]).SessionsWorkingSeconds += int64(w.secs + 0.5)
	}
	out := make([]Report, 0, len(p.tenants))
	for t, r := range p.tenants {
		if t == systemTenant {
			continue
		}
		out = append(out, *r)
	}
	return out
}

// current is a session's status as its record says now.
type current struct {
	status string
	since  time.Time
}

func clamp(t, lo, hi time.Time) time.Time {
	if t.Before(lo) {
		return lo
	}
	if t.After(hi) {
		return hi
	}
	return t
}
