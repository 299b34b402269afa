package wasim_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/appstate"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	waLog "go.mau.fi/whatsmeow/util/log"

	"github.com/switchboard-gw/switchboard/shared/wasim"
)

// waitSynced waits for the full sync of critical_block, the collection
// that carries the push name.
func waitSynced(t *testing.T, rec *recorder) {
	t.Helper()
	waitMatch(t, rec, func(e *events.AppStateSyncComplete) bool { return e.Name == appstate.WAPatchCriticalBlock })
}

func TestPushNameAfterQRLink(t *testing.T) {
	e := newEnv(t)
	cli, rec, _ := e.pairQR(e.phone())
	waitSynced(t, rec)
	if cli.Store.PushName != "Tester" {
		t.Fatalf("Store.PushName = %q, want the phone's push name", cli.Store.PushName)
	}
	// The other collections were fetched too, none failed.
	for _, name := range appstate.AllPatchNames[1:] {
		waitMatch(t, rec, func(e *events.AppStateSyncComplete) bool { return e.Name == name })
	}
	if st := e.sim.Stats(); st.KeyShares != 1 || st.AppStateSyncs < 5 {
		t.Fatalf("stats %+v, want 1 key share and >= 5 syncs", st)
	}
	// A full sync gives no PushNameSetting (EmitAppStateEventsOnFullSync is off).
	if n := rec.count(isType[*events.PushNameSetting]); n != 0 {
		t.Fatalf("%d PushNameSetting on a full sync", n)
	}
}

func TestPushNameAfterPairCodeLink(t *testing.T) {
	e := newEnv(t)
	cli, rec := e.client(e.store.NewDevice())
	ctx := context.Background()
	qr, err := cli.GetQRChannel(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Connect(); err != nil {
		t.Fatal(err)
	}
	nextQRCode(t, qr)
	phone := e.phone()
	code, err := cli.PairPhone(ctx, phone, true, whatsmeow.PairClientChrome, "Chrome (Linux)")
	if err != nil {
		t.Fatal(err)
	}
	status, out := control(t, e.sim, http.MethodPost, "/phone/link",
		`{"phone":"`+phone+`","code":"`+code+`","push_name":"Bob Linked"}`)
	if status != http.StatusOK {
		t.Fatalf("link: %d %v", status, out)
	}
	waitEvent[*events.Connected](t, rec)
	waitSynced(t, rec)
	if cli.Store.PushName != "Bob Linked" {
		t.Fatalf("Store.PushName = %q", cli.Store.PushName)
	}
}

func TestPushNameChangeIsIncremental(t *testing.T) {
	e := newEnv(t)
	phone := e.phone()
	cli, rec, _ := e.pairQR(phone)
	waitSynced(t, rec)

	status, out := control(t, e.sim, http.MethodPost, "/phone/push-name", `{"phone":"`+phone+`","push_name":"Renamed"}`)
	if status != http.StatusOK || out["version"] != float64(2) || out["notified"] != float64(1) {
		t.Fatalf("push-name: %d %v", status, out)
	}
	evt := waitEvent[*events.PushNameSetting](t, rec)
	if evt.Action.GetName() != "Renamed" || evt.FromFullSync {
		t.Fatalf("PushNameSetting %+v, want Renamed from an incremental sync", evt)
	}
	if cli.Store.PushName != "Renamed" {
		t.Fatalf("Store.PushName = %q", cli.Store.PushName)
	}
	ver, _, err := cli.Store.AppState.GetAppStateVersion(context.Background(), string(appstate.WAPatchCriticalBlock))
	if err != nil || ver != 2 {
		t.Fatalf("client critical_block version %d (%v), want 2", ver, err)
	}

	// Asking again, with the version or as a full sync, is answered and
	// changes nothing.
	ctx := context.Background()
	if err := cli.FetchAppState(ctx, appstate.WAPatchCriticalBlock, false, false); err != nil {
		t.Fatalf("incremental re-fetch: %v", err)
	}
	if err := cli.FetchAppState(ctx, appstate.WAPatchCriticalBlock, true, false); err != nil {
		t.Fatalf("full re-sync: %v", err)
	}
	if err := cli.FetchAppState(ctx, appstate.WAPatchRegular, true, false); err != nil {
		t.Fatalf("empty collection: %v", err)
	}
	if cli.Store.PushName != "Renamed" {
		t.Fatalf("after re-fetches Store.PushName = %q", cli.Store.PushName)
	}
}

func TestPushNameControlErrors(t *testing.T) {
	e := newEnv(t)
	phone := e.phone()
	e.pairQR(phone)
	for _, tc := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"phone":"+19999999999","push_name":"X"}`, http.StatusNotFound, "unknown_phone"},
		{`{"phone":"` + phone + `","push_name":""}`, http.StatusBadRequest, "invalid_input"},
		{`{"phone":"` + phone + `","push_name":"   "}`, http.StatusBadRequest, "invalid_input"},
		{`{"phone":"` + phone + `","push_name":"a\u0007b"}`, http.StatusBadRequest, "invalid_input"},
		{`{"phone":"` + phone + `","push_name":"` + strings.Repeat("x", 101) + `"}`, http.StatusBadRequest, "invalid_input"},
		{`{"phone":"abc","push_name":"X"}`, http.StatusBadRequest, "invalid_input"},
		{`{"phone":`, http.StatusBadRequest, "invalid_input"},
	} {
		status, out := control(t, e.sim, http.MethodPost, "/phone/push-name", tc.body)
		if status != tc.status || out["error"].(map[string]any)["code"] != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.body, status, out, tc.status, tc.code)
		}
	}
}

// rawSync sends a w:sync:app:state IQ through the real client.
func rawSync(cli *whatsmeow.Client, cols ...waBinary.Node) error {
	_, err := cli.DangerousInternals().SendIQ(context.Background(), whatsmeow.DangerousInfoQuery{
		Namespace: "w:sync:app:state",
		Type:      whatsmeow.DangerousInfoQueryType("set"),
		To:        types.ServerJID,
		Content:   []waBinary.Node{{Tag: "sync", Content: cols}},
	})
	return err
}

func TestAppStateSyncBadAsksGetErrors(t *testing.T) {
	e := newEnv(t)
	cli, rec, _ := e.pairQR(e.phone())
	waitSynced(t, rec)
	col := func(attrs waBinary.Attrs) waBinary.Node { return waBinary.Node{Tag: "collection", Attrs: attrs} }
	for _, tc := range []struct {
		name string
		cols []waBinary.Node
		code int
	}{
		{"unknown collection", []waBinary.Node{col(waBinary.Attrs{"name": "nope", "return_snapshot": true})}, 400},
		{"no collection", nil, 400},
		{"bad version", []waBinary.Node{col(waBinary.Attrs{"name": "critical_block", "version": "x", "return_snapshot": false})}, 400},
		{"version never served", []waBinary.Node{col(waBinary.Attrs{"name": "critical_block", "version": uint64(99), "return_snapshot": false})}, 409},
	} {
		err := rawSync(cli, tc.cols...)
		var iqErr *whatsmeow.IQError
		if !errors.As(err, &iqErr) || iqErr.Code != tc.code {
			t.Errorf("%s: %v, want IQ error %d", tc.name, err, tc.code)
		}
	}
	// The client is unharmed.
	if err := rawSync(cli, col(waBinary.Attrs{"name": "critical_block", "version": uint64(1), "return_snapshot": false})); err != nil {
		t.Fatalf("good ask after bad ones: %v", err)
	}
	if !cli.IsLoggedIn() {
		t.Fatal("client logged out")
	}
}

// errorLog records the client's error lines.
type errorLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *errorLog) Errorf(msg string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(msg, args...))
}
func (l *errorLog) Warnf(string, ...any)    {}
func (l *errorLog) Infof(string, ...any)    {}
func (l *errorLog) Debugf(string, ...any)   {}
func (l *errorLog) Sub(string) waLog.Logger { return l }
func (l *errorLog) has(substr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, substr) {
			return true
		}
	}
	return false
}

func TestCorruptPatchMACIsRejected(t *testing.T) {
	e := newEnv(t)
	logs := &errorLog{}
	e.log = logs
	phone := e.phone()
	cli, rec, _ := e.pairQR(phone)
	for _, name := range appstate.AllPatchNames {
		waitMatch(t, rec, func(e *events.AppStateSyncComplete) bool { return e.Name == name })
	}

	if status, out := control(t, e.sim, http.MethodPost, "/faults", `{"corrupt_patch_mac":true}`); status != http.StatusOK {
		t.Fatalf("faults: %d %v", status, out)
	}
	if status, out := control(t, e.sim, http.MethodPost, "/phone/push-name", `{"phone":"`+phone+`","push_name":"Evil"}`); status != http.StatusOK {
		t.Fatalf("push-name: %d %v", status, out)
	}
	// whatsmeow rejects the patch and keeps its version and name …
	eventually(t, "patch MAC rejected", func() bool { return logs.has(appstate.ErrMismatchingPatchMAC.Error()) })
	ver, _, err := cli.Store.AppState.GetAppStateVersion(context.Background(), string(appstate.WAPatchCriticalBlock))
	if err != nil || ver != 1 || cli.Store.PushName != "Tester" || !cli.IsLoggedIn() {
		t.Fatalf("after a corrupted patch: version %d (%v), push name %q, logged in %v", ver, err, cli.Store.PushName, cli.IsLoggedIn())
	}
	// … and, once the fault is gone, the next change goes through.
	if err := e.sim.SetFaults(wasim.Faults{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.sim.SetPushName(context.Background(), phone, "Good"); err != nil {
		t.Fatal(err)
	}
	evt := waitEvent[*events.PushNameSetting](t, rec)
	if evt.Action.GetName() != "Good" {
		t.Fatalf("first accepted push name %q, want Good (the corrupted patch was applied)", evt.Action.GetName())
	}
	if !cli.IsLoggedIn() || cli.Store.PushName != "Good" {
		t.Fatalf("logged in %v, push name %q", cli.IsLoggedIn(), cli.Store.PushName)
	}
}
