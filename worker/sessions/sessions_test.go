package sessions

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/store"
	waLog "go.mau.fi/whatsmeow/util/log"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/command"
	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/devstore/devstoretest"
	"github.com/switchboard-gw/switchboard/shared/message"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/pacer"
	"github.com/switchboard-gw/switchboard/worker/report"
)

// TestResumable decides which records a takeover reconnects.
func TestResumable(t *testing.T) {
	for _, tc := range []struct {
		desired session.Desired
		status  session.Status
		want    bool
	}{
		{session.DesiredRunning, session.StatusWorking, true},
		{session.DesiredRunning, session.StatusStarting, true},
		{session.DesiredRunning, session.StatusCreated, true},
		{session.DesiredRunning, session.StatusConnected, true},
		{session.DesiredRunning, session.StatusScanQR, true},
		{session.DesiredRunning, session.StatusPairCode, true},
		{session.DesiredRunning, session.StatusStopped, false},
		{session.DesiredRunning, session.StatusLoggedOut, false},
		{session.DesiredRunning, session.StatusFailed, false},
		{session.DesiredStopped, session.StatusWorking, false},
		{session.DesiredDeleted, session.StatusWorking, false},
	} {
		rec := session.Record{Desired: tc.desired, State: session.State{Status: tc.status}}
		if got := Resumable(rec); got != tc.want {
			t.Errorf("Resumable(%s, %s) = %v, want %v", tc.desired, tc.status, got, tc.want)
		}
	}
}

// TestBackoff: no wait after a first drop, then 2 s more per failure in a
// row, capped at a minute.
func TestBackoff(t *testing.T) {
	for retries, want := range map[int]time.Duration{
		0: 0, 1: 2 * time.Second, 2: 4 * time.Second, 10: 20 * time.Second,
		30: time.Minute, 31: time.Minute, 1000: time.Minute,
	} {
		s := &Session{retries: retries}
		if got := s.backoff(); got != want {
			t.Errorf("backoff after %d failures = %v, want %v", retries, got, want)
		}
	}
}

// TestDepsValidate requires every dependency and fills in the timings.
func TestDepsValidate(t *testing.T) {
	p, err := pacer.New(pacer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ds, err := devstore.Open(ctx, devstoretest.SQLiteURL(t), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	newClient := func(*store.Device, waLog.Logger, string) (*whatsmeow.Client, error) { return nil, nil }
	d := &Deps{Reporter: &report.Reporter{}, Devices: ds, NewClient: newClient, Log: zap.NewNop(), Pacer: p, Messages: &message.Store{}}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.PairCodeTTL != DefaultPairCodeTTL || d.RegistrationWait != DefaultRegistrationWait ||
		d.LoginWait != DefaultLoginWait || d.OpTimeout != DefaultOpTimeout {
		t.Fatalf("defaults not applied: %+v", d)
	}
	kept := &Deps{Reporter: &report.Reporter{}, Devices: ds, NewClient: newClient, Log: zap.NewNop(), Pacer: p, Messages: &message.Store{}, OpTimeout: time.Second}
	if err := kept.Validate(); err != nil || kept.OpTimeout != time.Second {
		t.Fatalf("OpTimeout = %v, %v", kept.OpTimeout, err)
	}
	for name, d := range map[string]*Deps{
		"no reporter":   {Devices: ds, NewClient: newClient, Log: zap.NewNop(), Pacer: p},
		"no devices":    {Reporter: &report.Reporter{}, NewClient: newClient, Log: zap.NewNop(), Pacer: p},
		"no new client": {Reporter: &report.Reporter{}, Devices: ds, Log: zap.NewNop(), Pacer: p},
		"no log":        {Reporter: &report.Reporter{}, Devices: ds, NewClient: newClient, Pacer: p},
		"no pacer":      {Reporter: &report.Reporter{}, Devices: ds, NewClient: newClient, Log: zap.NewNop()},
	} {
		if err := d.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestStatusWithoutMailbox: the status the metrics walk reads is the
// snapshot's from the start, and "" while the record is not loaded.
func TestStatusWithoutMailbox(t *testing.T) {
	d := &Deps{}
	loaded := New(context.Background(), d, report.Fence{}, "acme", "s1",
		report.Snapshot{Revision: 3, Record: session.Record{Desired: session.DesiredRunning, State: session.State{Status: session.StatusWorking}}}, nil)
	if loaded.Status() != session.StatusWorking || !loaded.want {
		t.Fatalf("loaded: status %q want %v", loaded.Status(), loaded.want)
	}
	lazy := New(context.Background(), d, report.Fence{}, "acme", "s2", report.Snapshot{}, nil)
	if lazy.Status() != "" || lazy.loaded {
		t.Fatalf("unloaded: status %q", lazy.Status())
	}
	if lazy.Tenant() != "acme" || lazy.ID() != "s2" {
		t.Fatalf("names %s/%s", lazy.Tenant(), lazy.ID())
	}
}

// TestClosedSessionRefusesWork: after Close, commands and liveness checks
// are answered ErrClosed at once, never queued.
func TestClosedSessionRefusesWork(t *testing.T) {
	s := New(context.Background(), &Deps{}, report.Fence{}, "acme", "s1", report.Snapshot{}, nil)
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !s.Closed() {
		t.Fatal("not closed")
	}
	got := make(chan error, 2)
	s.Command(command.Command{Verb: command.Start}, func(err error) { got <- err })
	s.Liveness(func(err error) { got <- err })
	for range 2 {
		select {
		case err := <-got:
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("outcome %v, want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no outcome")
		}
	}
}

// TestMetrics: the label sets stay closed (an unknown verb off the wire is
// "unknown"), and a nil *Metrics records nothing without failing.
func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.connected(nil)
	m.connected(errors.New("refused"))
	m.connected(nil)
	m.applied(command.Start, time.Millisecond)
	m.applied(command.Verb("drop-tables"), time.Millisecond)
	m.keepaliveFailed()
	if v := testutil.ToFloat64(m.connects.WithLabelValues(connectOK)); v != 2 {
		t.Errorf("connects ok = %v", v)
	}
	if v := testutil.ToFloat64(m.connects.WithLabelValues(connectError)); v != 1 {
		t.Errorf("connects error = %v", v)
	}
	if n := testutil.CollectAndCount(m.apply); n != 2 {
		t.Errorf("apply series = %d, want start and unknown", n)
	}
	if v := testutil.ToFloat64(m.keepalives); v != 1 {
		t.Errorf("keepalive failures = %v", v)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering twice in one registry accepted")
	}
	var none *Metrics
	none.connected(nil)
	none.applied(command.Stop, time.Second)
	none.keepaliveFailed()
}

// TestConnectSlot: a connect takes a slot of the worker's cap and gives it
// back; with every slot taken it waits, and a closing actor stops waiting.
// Connects counts the connects wanted: in flight and waiting.
func TestConnectSlot(t *testing.T) {
	deps := &Deps{Connecting: make(chan struct{}, 1), Connects: new(atomic.Int64)}
	s := New(context.Background(), deps, report.Fence{}, "t", "slot", report.Snapshot{}, nil)
	if err := s.connectSlot(); err != nil {
		t.Fatal(err)
	}
	if len(deps.Connecting) != 1 {
		t.Fatalf("%d slots taken, want 1", len(deps.Connecting))
	}
	waiting := New(context.Background(), deps, report.Fence{}, "t", "waiting", report.Snapshot{}, nil)
	got := make(chan error, 1)
	go func() { got <- waiting.connectSlot() }()
	for deadline := time.Now().Add(5 * time.Second); deps.Connects.Load() != 2; {
		if time.Now().After(deadline) {
			t.Fatalf("%d connects wanted, want 2 (one in flight, one waiting)", deps.Connects.Load())
		}
		time.Sleep(time.Millisecond)
	}
	waiting.cancel() // the actor closes while every slot is taken
	select {
	case err := <-got:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("waiting connect of a closed actor: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a closed actor still waits for a connect slot")
	}
	if n := deps.Connects.Load(); n != 1 {
		t.Fatalf("%d connects wanted after the waiting one gave up, want 1", n)
	}
	s.releaseSlot()
	if len(deps.Connecting) != 0 {
		t.Fatalf("%d slots taken after the release, want 0", len(deps.Connecting))
	}
	if n := deps.Connects.Load(); n != 0 {
		t.Fatalf("%d connects wanted after the release, want 0", n)
	}
}
