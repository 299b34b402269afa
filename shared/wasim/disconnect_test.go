package wasim_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types/events"

	"github.com/switchboard-gw/switchboard/shared/wasim"
)

func TestKeepaliveAnswered(t *testing.T) {
	e := newEnv(t)
	_, rec, _ := e.pairQR(e.phone())

	// Keepalives run every 1-1.5 s here; an idle window of 3 s covers at
	// least two of them. The wait is the point of the test, not a sync.
	window := time.NewTimer(3 * time.Second)
	<-window.C
	if n := rec.count(isType[*events.KeepAliveTimeout]); n != 0 {
		t.Fatalf("%d keepalive timeouts while the simulator answers", n)
	}

	// Counter-check that keepalives really run: delayed replies time out
	// (deadline 2 s) and recover once the delay is gone.
	if err := e.sim.SetFaults(wasim.Faults{ReplyDelayMS: 3000}); err != nil {
		t.Fatal(err)
	}
	waitEvent[*events.KeepAliveTimeout](t, rec)
	if err := e.sim.SetFaults(wasim.Faults{}); err != nil {
		t.Fatal(err)
	}
	waitEvent[*events.KeepAliveRestored](t, rec)
}

func TestDropReconnects(t *testing.T) {
	e := newEnv(t)
	_, rec, res := e.pairQR(e.phone())
	before := e.sim.Stats().Handshakes
	if err := e.sim.Drop(context.Background(), res.JID.String()); err != nil {
		t.Fatalf("drop: %v", err)
	}
	waitEvent[*events.Disconnected](t, rec)
	waitEvent[*events.Connected](t, rec)
	st := waitStats(t, e.sim, func(s wasim.Stats) bool { return s.LoggedIn == 1 && s.Connections == 1 })
	if st.Handshakes != before+1 {
		t.Fatalf("handshakes %d, want %d", st.Handshakes, before+1)
	}
}

func TestSecondClientReplacesFirst(t *testing.T) {
	e := newEnv(t)
	_, rec1, res := e.pairQR(e.phone())
	dev, err := e.store.GetDevice(context.Background(), res.JID)
	if err != nil || dev == nil {
		t.Fatalf("load device: %v", err)
	}
	second, rec2 := e.client(dev)
	if err := second.Connect(); err != nil {
		t.Fatalf("connect second: %v", err)
	}
	waitEvent[*events.StreamReplaced](t, rec1)
	waitEvent[*events.Connected](t, rec2)
	st := waitStats(t, e.sim, func(s wasim.Stats) bool { return s.Connections == 1 })
	if st.Replaced != 1 || st.LoggedIn != 1 {
		t.Fatalf("stats %+v, want replaced=1 logged_in=1", st)
	}

	// The control API replaces too, and the client does not come back.
	if err := e.sim.Replace(context.Background(), res.JID.String()); err != nil {
		t.Fatalf("replace: %v", err)
	}
	waitEvent[*events.StreamReplaced](t, rec2)
	st = waitStats(t, e.sim, func(s wasim.Stats) bool { return s.Connections == 0 })
	if st.Replaced != 2 || st.LoggedIn != 0 {
		t.Fatalf("stats %+v, want replaced=2 logged_in=0", st)
	}
	if n := rec2.count(isType[*events.Connected]); n != 1 {
		t.Fatalf("replaced client connected %d times, want no reconnect", n)
	}
}

func TestRemoteLogout(t *testing.T) {
	e := newEnv(t)
	_, rec, res := e.pairQR(e.phone())
	// A second handle on the same device keeps the keys after the client
	// deletes its store, to try logging in again later.
	stale, err := e.store.GetDevice(context.Background(), res.JID)
	if err != nil || stale == nil {
		t.Fatalf("load device: %v", err)
	}
	if err := e.sim.Logout(context.Background(), res.JID.String()); err != nil {
		t.Fatalf("logout: %v", err)
	}
	lo := waitEvent[*events.LoggedOut](t, rec)
	if lo.OnConnect || lo.Reason != events.ConnectFailureLoggedOut {
		t.Fatalf("LoggedOut %+v, want OnConnect=false reason 401", lo)
	}
	waitStats(t, e.sim, func(s wasim.Stats) bool { return s.Connections == 0 && s.LoggedIn == 0 })
	// whatsmeow emits LoggedOut before it deletes the store, so poll the DB.
	eventually(t, "device deleted from the store", func() bool {
		dev, err := e.store.GetDevice(context.Background(), res.JID)
		return err == nil && dev == nil
	})

	again, rec2 := e.client(stale)
	if err := again.Connect(); err != nil {
		t.Fatalf("connect: %v", err)
	}
	lo = waitEvent[*events.LoggedOut](t, rec2)
	if !lo.OnConnect || lo.Reason != events.ConnectFailureLoggedOut {
		t.Fatalf("LoggedOut %+v, want OnConnect=true reason 401", lo)
	}
}

func TestClientLogout(t *testing.T) {
	e := newEnv(t)
	cli, _, res := e.pairQR(e.phone())
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := cli.Logout(ctx); err != nil {
		t.Fatalf("logout: %v", err)
	}
	waitStats(t, e.sim, func(s wasim.Stats) bool { return s.Connections == 0 })
	if err := e.sim.Drop(ctx, res.JID.String()); !errors.Is(err, wasim.ErrDeviceOffline) {
		t.Fatalf("drop after logout: %v, want ErrDeviceOffline", err)
	}
}

func TestFailOnNextLogin(t *testing.T) {
	e := newEnv(t)
	cli, rec, res := e.pairQR(e.phone())
	cli.Disconnect()
	waitStats(t, e.sim, func(s wasim.Stats) bool { return s.LoggedIn == 0 })
	if err := e.sim.Fail(context.Background(), res.JID.String(), 401); err != nil {
		t.Fatalf("fail: %v", err)
	}
	if err := cli.Connect(); err != nil {
		t.Fatalf("connect: %v", err)
	}
	lo := waitEvent[*events.LoggedOut](t, rec)
	if !lo.OnConnect || lo.Reason != events.ConnectFailureLoggedOut {
		t.Fatalf("LoggedOut %+v, want OnConnect=true reason 401", lo)
	}
}

func TestFailLiveTransientReconnects(t *testing.T) {
	e := newEnv(t)
	_, rec, res := e.pairQR(e.phone())
	// 503 is transient: the client auto-reconnects and logs in again.
	if err := e.sim.Fail(context.Background(), res.JID.String(), 503); err != nil {
		t.Fatalf("fail: %v", err)
	}
	waitEvent[*events.Disconnected](t, rec)
	waitEvent[*events.Connected](t, rec)
}

func TestRestart515Reconnects(t *testing.T) {
	e := newEnv(t)
	_, rec, res := e.pairQR(e.phone())
	before := e.sim.Stats().Handshakes
	if err := e.sim.Restart(context.Background(), res.JID.String()); err != nil {
		t.Fatalf("restart: %v", err)
	}
	waitEvent[*events.Connected](t, rec)
	st := waitStats(t, e.sim, func(s wasim.Stats) bool { return s.Connections == 1 && s.LoggedIn == 1 })
	if st.Handshakes != before+1 {
		t.Fatalf("handshakes %d, want %d", st.Handshakes, before+1)
	}
}

func TestRefuseConnections(t *testing.T) {
	e := newEnv(t)
	if err := e.sim.SetFaults(wasim.Faults{RefuseConnections: true}); err != nil {
		t.Fatal(err)
	}
	cli, _ := e.client(e.store.NewDevice())
	if err := cli.Connect(); err == nil {
		t.Fatal("connect succeeded while connections are refused")
	}
	if err := e.sim.SetFaults(wasim.Faults{}); err != nil {
		t.Fatal(err)
	}
	if err := cli.Connect(); err != nil {
		t.Fatalf("connect after lifting the fault: %v", err)
	}
}
