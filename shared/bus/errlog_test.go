package bus_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/natsembed/natstest"
)

// TestErrorLogNamesSlowConsumer proves a subscription that falls behind its
// pending limit is logged with its subject and dropped count: nats.go drops
// its messages, and without a handler nothing would say so.
func TestErrorLogNamesSlowConsumer(t *testing.T) {
	ns, pub := natstest.Start(t)
	core, logs := observer.New(zap.WarnLevel)
	nc, err := ns.Connect(nats.Name("slow-test"), bus.ErrorLog(zap.New(core)))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	release := make(chan struct{})
	defer close(release)
	sub, err := nc.Subscribe("slow.test", func(*nats.Msg) { <-release })
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.SetPendingLimits(2, -1); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if err := pub.Publish("slow.test", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.Flush(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for logs.FilterMessage("nats async error").Len() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("slow consumer not logged")
		}
		time.Sleep(10 * time.Millisecond)
	}
	e := logs.FilterMessage("nats async error").All()[0]
	f := e.ContextMap()
	if f["subject"] != "slow.test" || f["conn"] != "slow-test" {
		t.Fatalf("log fields %v", f)
	}
	if d, _ := f["dropped"].(int64); d < 1 {
		t.Fatalf("dropped %v, want ≥ 1", f["dropped"])
	}
}
