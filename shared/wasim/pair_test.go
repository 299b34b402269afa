package wasim_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/switchboard-gw/switchboard/shared/wasim"
)

func TestQRPairThroughControlAPI(t *testing.T) {
	e := newEnv(t)
	cli, rec := e.client(e.store.NewDevice())
	ctx := context.Background()
	qr, err := cli.GetQRChannel(ctx)
	if err != nil {
		t.Fatalf("qr channel: %v", err)
	}
	if err := cli.Connect(); err != nil {
		t.Fatalf("connect: %v", err)
	}
	code := nextQRCode(t, qr)
	body, _ := json.Marshal(map[string]string{"qr": code, "phone": "+15551230001", "push_name": "Alice"})
	status, out := control(t, e.sim, http.MethodPost, "/phone/scan", string(body))
	if status != http.StatusOK {
		t.Fatalf("scan status %d: %v", status, out)
	}
	jid, err := types.ParseJID(out["jid"].(string))
	if err != nil || jid.User != "15551230001" || jid.Device == 0 {
		t.Fatalf("scan jid %v (%v)", out["jid"], err)
	}
	lid, err := types.ParseJID(out["lid"].(string))
	if err != nil || lid.Server != types.HiddenUserServer || lid.Device != jid.Device {
		t.Fatalf("scan lid %v (%v)", out["lid"], err)
	}

	ps := waitEvent[*events.PairSuccess](t, rec)
	if ps.ID != jid || ps.LID != lid {
		t.Fatalf("PairSuccess %v/%v, want %v/%v", ps.ID, ps.LID, jid, lid)
	}
	waitEvent[*events.Connected](t, rec)
	waitEvent[*events.OfflineSyncCompleted](t, rec)
	if *cli.Store.ID != jid || cli.Store.LID != lid {
		t.Fatalf("store ids %v/%v, want %v/%v", cli.Store.ID, cli.Store.LID, jid, lid)
	}
	if item := <-qr; item != whatsmeow.QRChannelSuccess {
		t.Fatalf("qr channel ended with %+v, want success", item)
	}
	st := waitStats(t, e.sim, func(s wasim.Stats) bool { return s.LoggedIn == 1 && s.Connections == 1 })
	if st.Pairings != 1 || st.Handshakes != 2 {
		t.Fatalf("stats %+v, want 1 pairing and 2 handshakes", st)
	}

	// The same QR cannot be scanned twice.
	status, out = control(t, e.sim, http.MethodPost, "/phone/scan", string(body))
	if status != http.StatusNotFound {
		t.Fatalf("rescan status %d: %v", status, out)
	}
}

func TestSecondPairingGetsNewDeviceIndex(t *testing.T) {
	e := newEnv(t)
	phone := e.phone()
	_, _, first := e.pairQR(phone)
	_, _, second := e.pairQR(phone)
	if first.JID.User != second.JID.User || first.JID.Device == second.JID.Device {
		t.Fatalf("devices %v and %v, want same user and different index", first.JID, second.JID)
	}
	if first.LID.User != second.LID.User {
		t.Fatalf("lids %v and %v, want one LID per phone", first.LID, second.LID)
	}
	_, _, other := e.pairQR(e.phone())
	if other.LID.User == first.LID.User {
		t.Fatalf("two phones share LID %s", other.LID.User)
	}
}

func TestPairCode(t *testing.T) {
	e := newEnv(t)
	cli, rec := e.client(e.store.NewDevice())
	ctx := context.Background()
	qr, err := cli.GetQRChannel(ctx)
	if err != nil {
		t.Fatalf("qr channel: %v", err)
	}
	if err := cli.Connect(); err != nil {
		t.Fatalf("connect: %v", err)
	}
	nextQRCode(t, qr)
	phone := "+15551230002"

	// Nobody waits for a code yet.
	if _, err := e.sim.LinkCode(ctx, phone, "ABCD-EFGH"); !errors.Is(err, wasim.ErrNoPendingCode) {
		t.Fatalf("link before PairPhone: %v, want ErrNoPendingCode", err)
	}
	code, err := cli.PairPhone(ctx, phone, true, whatsmeow.PairClientChrome, "Chrome (Linux)")
	if err != nil {
		t.Fatalf("pair phone: %v", err)
	}

	// A wrong code is refused and the companion keeps waiting.
	wrong := []byte(code)
	if wrong[0] == 'A' {
		wrong[0] = 'B'
	} else {
		wrong[0] = 'A'
	}
	status, out := control(t, e.sim, http.MethodPost, "/phone/link", `{"phone":"`+phone+`","code":"`+string(wrong)+`"}`)
	if status != http.StatusBadRequest || out["error"].(map[string]any)["code"] != "wrong_code" {
		t.Fatalf("wrong code: status %d %v", status, out)
	}

	status, out = control(t, e.sim, http.MethodPost, "/phone/link", `{"phone":"`+strings.TrimPrefix(phone, "+")+`","code":"`+code+`"}`)
	if status != http.StatusOK {
		t.Fatalf("link: status %d %v", status, out)
	}
	ps := waitEvent[*events.PairSuccess](t, rec)
	if ps.ID.String() != out["jid"] {
		t.Fatalf("PairSuccess %v, want %v", ps.ID, out["jid"])
	}
	waitEvent[*events.Connected](t, rec)
	if cli.Store.ID == nil || cli.Store.ID.User != strings.TrimPrefix(phone, "+") {
		t.Fatalf("store id %v", cli.Store.ID)
	}
}

func TestPairSurvivesRestartOfClient(t *testing.T) {
	e := newEnv(t)
	cli, _, res := e.pairQR(e.phone())
	cli.Disconnect()
	waitStats(t, e.sim, func(s wasim.Stats) bool { return s.LoggedIn == 0 })

	dev, err := e.store.GetDevice(context.Background(), res.JID)
	if err != nil || dev == nil {
		t.Fatalf("load device: %v", err)
	}
	again, rec := e.client(dev)
	if err := again.Connect(); err != nil {
		t.Fatalf("connect: %v", err)
	}
	waitEvent[*events.Connected](t, rec)
	if again.Store.LID != res.LID {
		t.Fatalf("LID after login %v, want %v", again.Store.LID, res.LID)
	}
}
