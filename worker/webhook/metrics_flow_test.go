package webhook_test

import (
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/webhook"
)

// TestMetricsCountDeliveries: the lanes count every HTTP attempt by result
// and every dead letter, and a replay counts its attempt too.
func TestMetricsCountDeliveries(t *testing.T) {
	e := newEnv(t, devstoretest.SQLiteURL(t))
	e.rcv.setRespond(func(path string, n int) int {
		switch {
		case path == "/bad":
			return http.StatusBadRequest
		case path == "/flaky" && n <= 2:
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	reg := prometheus.NewRegistry()
	m, err := webhook.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Metrics = m
	e.putSession("s1", session.Webhook{URL: e.rcv.url("/flaky")}, session.Webhook{URL: e.rcv.url("/bad")})
	d := e.start(cfg)
	e.publish("s1", event.MessageReceived, "m1", msg("hi"))
	counter := func(result string) float64 {
		return sample(t, reg, "switchboard_webhook_deliveries_total", result)
	}
	e.eventually("four attempts and a dead letter counted", func() bool {
		return counter(webhook.ResultDelivered) == 1 && counter(webhook.ResultRejected) == 3 &&
			deadLetters(t, reg) == 1
	})
	e.settled()
	if got := counter(webhook.ResultError); got != 0 {
		t.Errorf("error attempts = %v, want 0", got)
	}
	dls, err := webhook.ListDeadLetters(e.ctx, e.db, tenant, "s1", 10, 0)
	if err != nil || len(dls) != 1 {
		t.Fatalf("dead letters %v, %v", dls, err)
	}
	if err := d.Replay(e.ctx, tenant, "s1", dls[0].ID); err == nil {
		t.Fatal("replay against a refusing target succeeded")
	}
	if got := counter(webhook.ResultRejected); got != 4 {
		t.Errorf("rejected attempts after replay = %v, want 4", got)
	}
}

// deadLetters reads switchboard_webhook_dead_letters_total from reg.
func deadLetters(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	return sample(t, reg, "switchboard_webhook_dead_letters_total", "")
}

// sample reads one counter value from reg (result "" for an unlabelled one).
func sample(t *testing.T, reg *prometheus.Registry, name, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if result == "" || (len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == result) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
