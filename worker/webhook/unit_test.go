package webhook

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/event"
)

func TestWants(t *testing.T) {
	status := func(s string) json.RawMessage { return json.RawMessage(`{"status":"` + s + `"}`) }
	msg := &event.Envelope{Type: event.MessageReceived}
	for _, tc := range []struct {
		name   string
		events []string
		env    *event.Envelope
		want   bool
	}{
		{"empty is all", nil, msg, true},
		{"star", []string{"*"}, msg, true},
		{"type token", []string{"message"}, msg, true},
		{"other token", []string{"qr"}, msg, false},
		{"qr", []string{"qr"}, &event.Envelope{Type: event.QR}, true},
		{"connected is logged_in", []string{"connected"}, &event.Envelope{Type: event.LoggedIn}, true},
		{"connected is not a status", []string{"connected"}, &event.Envelope{Type: event.StatusChanged, Data: status("WORKING")}, false},
		{"disconnected on stopped", []string{"disconnected"}, &event.Envelope{Type: event.StatusChanged, Data: status("STOPPED")}, true},
		{"disconnected on failed", []string{"disconnected"}, &event.Envelope{Type: event.StatusChanged, Data: status("FAILED")}, true},
		{"disconnected on logged out", []string{"disconnected"}, &event.Envelope{Type: event.StatusChanged, Data: status("LOGGED_OUT")}, true},
		{"not disconnected on working", []string{"disconnected"}, &event.Envelope{Type: event.StatusChanged, Data: status("WORKING")}, false},
		{"not disconnected on garbage", []string{"disconnected"}, &event.Envelope{Type: event.StatusChanged, Data: status("nope")}, false},
		{"logged_out alias", []string{"logged_out"}, &event.Envelope{Type: event.LoggedOut}, true},
		{"logged_out token", []string{"session_logged_out"}, &event.Envelope{Type: event.LoggedOut}, true},
		{"waha status", []string{"session.status"}, &event.Envelope{Type: event.StatusChanged, Data: status("WORKING")}, true},
		{"unknown", []string{"bogus"}, msg, false},
	} {
		if got := wants(tc.events, tc.env); got != tc.want {
			t.Errorf("%s: wants = %v", tc.name, got)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		status           int
		ok, retry, final bool
	}{
		{200, true, false, false}, {204, true, false, false},
		{301, false, false, true}, {400, false, false, true}, {401, false, false, true}, {404, false, false, true},
		{408, false, true, false}, {429, false, true, false},
		{500, false, true, false}, {502, false, true, false}, {503, false, true, false},
	} {
		o := classify(tc.status)
		if o.ok() != tc.ok || o.permanent != tc.final || (!o.ok() && !o.permanent) != tc.retry || o.status != tc.status {
			t.Errorf("classify(%d) = %+v", tc.status, o)
		}
	}
}

func TestSign(t *testing.T) {
	// echo -n '1700000000.{"id":"x"}' | openssl dgst -sha256 -hmac key
	got := Sign("key", 1700000000, []byte(`{"id":"x"}`))
	if want := "sha256=c275209bfed50f54f9b0d8dafaf250f3f08155fdaadece7fc4d3f5c7e3c8b6ba"; got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
	if got == Sign("key", 1700000001, []byte(`{"id":"x"}`)) || got == Sign("other", 1700000000, []byte(`{"id":"x"}`)) {
		t.Error("signature ignores timestamp or secret")
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.example.com/x?token=abc": "https://hooks.example.com",
		"http://user:pw@10.0.0.1:8080/p":        "http://10.0.0.1:8080",
		"::bad":                                 "invalid",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfig(t *testing.T) {
	var c Config
	if err := c.Validate(); err != nil {
		t.Fatalf("zero config: %v", err)
	}
	c.defaults()
	if c.Consumer != "webhooks" || c.MaxAttempts != 8 || c.Timeout != 10*time.Second || c.EndpointConcurrency != 4 ||
		len(c.Backoff) != 7 || c.HTTPClient == nil || c.AckWait != 15*time.Second || c.Holder == "" || c.DeadLetterRetention != 7*24*time.Hour {
		t.Errorf("defaults %+v", c)
	}
	if c.backoff(1) != time.Second || c.backoff(7) != time.Hour || c.backoff(50) != time.Hour {
		t.Error("backoff indexing")
	}
	for name, bad := range map[string]Config{
		"consumer":    {Consumer: "a.b"},
		"attempts":    {MaxAttempts: -1},
		"backoff":     {Backoff: []time.Duration{time.Second, 0}},
		"timeout":     {Timeout: -time.Second},
		"concurrency": {EndpointConcurrency: -2},
		"backlog":     {EndpointBacklog: -1},
		"breaker":     {BreakerFailures: -1},
		"ack wait":    {AckWait: time.Millisecond},
	} {
		if err := bad.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
