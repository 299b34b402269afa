package session_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/session"
)

// TestStatusWords holds every surface's mapping of every internal status:
// the words are contracts of the three APIs.
func TestStatusWords(t *testing.T) {
	for _, tc := range []struct {
		st             session.Status
		waxum, wasend  string
		loggedIn, want bool
	}{
		{session.StatusCreated, "connecting", "CREATED", false, true},
		{session.StatusStarting, "connecting", "STARTING", false, true},
		{session.StatusScanQR, "waiting_for_qr", "SCAN_QR_CODE", false, true},
		{session.StatusPairCode, "waiting_for_pair_code", "SCAN_QR_CODE", false, true},
		{session.StatusConnected, "connected", "STARTING", false, true},
		{session.StatusWorking, "logged_in", "WORKING", true, true},
		{session.StatusStopped, "disconnected", "STOPPED", false, true},
		{session.StatusFailed, "disconnected", "FAILED", false, true},
		{session.StatusLoggedOut, "disconnected", "STOPPED", false, true},
		{"", "disconnected", "", false, false},
		{"working", "disconnected", "working", false, false},
	} {
		if got := tc.st.Waxum(); got != tc.waxum {
			t.Errorf("%q.Waxum() = %q, want %q", tc.st, got, tc.waxum)
		}
		if got := tc.st.WASend(); got != tc.wasend {
			t.Errorf("%q.WASend() = %q, want %q", tc.st, got, tc.wasend)
		}
		if got := tc.st.LoggedIn(); got != tc.loggedIn {
			t.Errorf("%q.LoggedIn() = %v", tc.st, got)
		}
		if got := tc.st.Valid(); got != tc.want {
			t.Errorf("%q.Valid() = %v", tc.st, got)
		}
	}
}

// TestStatusesListsEveryValidStatus keeps the metrics' status list complete.
func TestStatusesListsEveryValidStatus(t *testing.T) {
	seen := map[session.Status]bool{}
	for _, st := range session.Statuses {
		if !st.Valid() || seen[st] {
			t.Fatalf("Statuses holds %q twice or invalid", st)
		}
		seen[st] = true
	}
	if len(seen) != 9 {
		t.Fatalf("Statuses has %d statuses, want all 9", len(seen))
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"a": true, "shop-1_A": true, strings.Repeat("x", 64): true,
		"": false, strings.Repeat("x", 65): false, "a.b": false, "a b": false, "a*": false, "a>": false,
		"é": false, "a\x00": false, "../x": false,
	} {
		if got := session.ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+15551234567", "15551234567"},
		{"15551234567", "15551234567"},
		{" +1 555-123-4567 ", "15551234567"},
		{"+6281234567890", "6281234567890"},
		{"+44 20 7946 0958", "442079460958"},
	} {
		got, err := session.NormalizePhone(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "  ", "+", "abc", "+1", "+999999999999999999"} {
		if got, err := session.NormalizePhone(in); !errors.Is(err, session.ErrInvalidPhone) {
			t.Errorf("NormalizePhone(%q) = %q, %v; want ErrInvalidPhone", in, got, err)
		}
	}
}

func TestValidateWebhookURL(t *testing.T) {
	for _, ok := range []string{"http://example.com/hook", "https://example.com:8443/a?b=c", "http://10.0.0.1"} {
		if err := session.ValidateWebhookURL(ok); err != nil {
			t.Errorf("ValidateWebhookURL(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "example.com/hook", "ftp://example.com", "http://", "https:///path", "javascript:alert(1)", "http://a b"} {
		if err := session.ValidateWebhookURL(bad); !errors.Is(err, session.ErrInvalidWebhook) {
			t.Errorf("ValidateWebhookURL(%q) = %v; want ErrInvalidWebhook", bad, err)
		}
	}
}

// TestRecordJSON holds the stored record's field names: api, worker and
// scheduler read each other's writes through them.
func TestRecordJSON(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rec := session.Record{
		Tenant: "acme", ID: "s1", Desired: session.DesiredRunning, CreatedAt: now, UpdatedAt: now,
		Config: session.Config{Name: "Shop", AccountProtection: true,
			Webhooks: []session.Webhook{{URL: "https://example.com/h", Events: []string{"session_status"}, Secret: "s"}}},
		State: session.State{Status: session.StatusWorking, StatusSince: now, Owner: "w1", Epoch: 3, UpdatedAt: now},
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"tenant", "id", "config", "desired", "state", "created_at", "updated_at"} {
		if _, ok := m[key]; !ok {
			t.Errorf("record JSON lacks %q: %s", key, b)
		}
	}
	st := m["state"].(map[string]any)
	if st["status"] != "WORKING" || st["owner"] != "w1" || st["epoch"] != float64(3) || st["status_since"] == nil {
		t.Errorf("state JSON = %v", st)
	}
	if _, ok := st["last_keepalive"]; ok {
		t.Errorf("nil last_keepalive not omitted: %v", st)
	}
	var back session.Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.State.Status != rec.State.Status || back.Config.Webhooks[0].Secret != "s" || !back.CreatedAt.Equal(now) {
		t.Errorf("round trip = %+v", back)
	}
}
