package usage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/message"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// Reading the stream.
const (
	// lookBack starts reading this long before the period, so events
	// stored a little before their envelope time are not missed.
	lookBack  = time.Minute
	fetchSize = 1000
	fetchWait = 2 * time.Second
)

// envelope is what usage decodes of an event: never the text of a message.
type envelope struct {
	Type    event.Type `json:"type"`
	Tenant  string     `json:"tenant"`
	Session string     `json:"session"`
	Time    time.Time  `json:"time"`
	Data    struct {
		Status   string `json:"status"`
		Previous string `json:"previous"`
	} `json:"data"`
}

// Compute reads the events of [start, end) (and those after, which tell the
// status sessions had before them) and the current session records, and
// returns one report per tenant with any session or event. records are the
// session records as they are now: they tell the status of sessions the
// stream says nothing about since start.
func Compute(ctx context.Context, js jetstream.JetStream, records []session.Record, start, end time.Time) ([]Report, error) {
	p := newPeriod(start, end)
	cons, err := js.OrderedConsumer(ctx, subject.EventStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{
			subject.EventTypeFilter(string(event.StatusChanged)),
			subject.EventTypeFilter(string(event.MessageStatus)),
			subject.EventTypeFilter(string(event.MessageReceived)),
		},
		DeliverPolicy: jetstream.DeliverByStartTimePolicy,
		OptStartTime:  ptr(start.Add(-lookBack)),
	})
	if err != nil {
		return nil, fmt.Errorf("usage: consumer: %w", err)
	}
	for done := false; !done; {
		batch, err := cons.Fetch(fetchSize, jetstream.FetchMaxWait(fetchWait))
		if err != nil {
			return nil, fmt.Errorf("usage: fetch: %w", err)
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			meta, err := msg.Metadata()
			if err == nil && meta.NumPending == 0 {
				done = true
			}
			p.add(msg.Data())
		}
		if err := batch.Error(); err != nil && ctx.Err() == nil && n == 0 {
			done = true // nothing (more) to read
		} else if n == 0 {
			done = true
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return p.finish(currentStatuses(records)), nil
}

// add counts one event.
func (p *period) add(raw []byte) {
	var e envelope
	if json.Unmarshal(raw, &e) != nil || e.Tenant == "" {
		return
	}
	in := !e.Time.Before(p.start) && e.Time.Before(p.end)
	switch e.Type {
	case event.StatusChanged:
		p.status(e.Tenant, e.Session, e.Time, e.Data.Status, e.Data.Previous)
	case event.MessageStatus:
		if !in {
			return
		}
		switch message.Status(e.Data.Status) {
		case message.StatusSent:
			p.tenant(e.Tenant).MessagesSent++
		case message.StatusFailed:
			p.tenant(e.Tenant).MessagesFailed++
		}
	case event.MessageReceived:
		if in {
			p.tenant(e.Tenant).MessagesReceived++
		}
	}
}

// currentStatuses indexes the records' statuses.
func currentStatuses(recs []session.Record) map[[2]string]current {
	out := make(map[[2]string]current, len(recs))
	for _, rec := range recs {
		out[[2]string{rec.Tenant, rec.ID}] = current{status: string(rec.State.Status), since: rec.State.StatusSince}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
