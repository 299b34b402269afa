package session_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/shared/secretbox"
	"github.com/switchboard-gw/switchboard/shared/session"
)

func testCodec(t *testing.T) session.Codec {
	t.Helper()
	k, _ := secretbox.GenerateKey()
	box, err := secretbox.New(secretbox.Config{Key: k})
	if err != nil {
		t.Fatal(err)
	}
	return session.Codec{Box: box}
}

func secretRecord() session.Record {
	return session.Record{
		Tenant: "acme", ID: "s1",
		Config: session.Config{
			Name:  "visible-name",
			Proxy: "socks5://user:proxy-pass-123@proxy.example:1080",
			Webhooks: []session.Webhook{{
				URL:    "https://hooks.example/T0/B0/url-token-456?key=query-token-789",
				Secret: "webhook-secret-abc",
				Events: []string{"message"},
			}},
		},
	}
}

var secretWords = []string{"proxy-pass-123", "url-token-456", "query-token-789", "webhook-secret-abc", "user:"}

func TestCodecSealsSecretFields(t *testing.T) {
	c := testCodec(t)
	rec := secretRecord()
	raw, err := c.Encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range secretWords {
		if strings.Contains(string(raw), w) {
			t.Errorf("encoded record contains %q: %s", w, raw)
		}
	}
	if !strings.Contains(string(raw), "visible-name") {
		t.Error("non-secret fields must stay readable")
	}
	if rec.Config.Webhooks[0].Secret != "webhook-secret-abc" {
		t.Error("Encode changed the caller's record")
	}
	got, err := c.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Config.Proxy != rec.Config.Proxy || got.Config.Webhooks[0].URL != rec.Config.Webhooks[0].URL ||
		got.Config.Webhooks[0].Secret != rec.Config.Webhooks[0].Secret {
		t.Fatalf("decode = %+v", got.Config)
	}
	// A keyless component (scheduler, worker state writes) round-trips the
	// record through plain JSON: sealed fields survive and still open.
	var plain session.Record
	_ = json.Unmarshal(raw, &plain)
	plain.State.Status = session.StatusWorking
	again, _ := json.Marshal(plain)
	if got, err := c.Decode(again); err != nil || got.Config.Webhooks[0].Secret != "webhook-secret-abc" {
		t.Fatalf("after a keyless round trip: %v %+v", err, got.Config)
	}
	if p, err := c.OpenProxy(plain); err != nil || p != rec.Config.Proxy {
		t.Fatalf("OpenProxy = %q, %v", p, err)
	}
}

func TestCodecBindsToRecord(t *testing.T) {
	c := testCodec(t)
	raw, _ := c.Encode(secretRecord())
	// Moving sealed fields into another session's record does not open.
	moved := strings.Replace(string(raw), `"id":"s1"`, `"id":"s2"`, 1)
	if _, err := c.Decode([]byte(moved)); !errors.Is(err, secretbox.ErrCorrupt) {
		t.Fatalf("moved record: %v, want ErrCorrupt", err)
	}
	if _, err := (session.Codec{}).Decode(raw); !errors.Is(err, secretbox.ErrNoKey) {
		t.Fatalf("keyless decode of sealed: %v, want ErrNoKey", err)
	}
}

func TestCodecReadsOldPlaintext(t *testing.T) {
	c := testCodec(t)
	old, _ := json.Marshal(secretRecord())
	got, err := c.Decode(old)
	if err != nil || got.Config.Webhooks[0].Secret != "webhook-secret-abc" {
		t.Fatalf("old record: %v %+v", err, got.Config)
	}
	if !c.NeedsReseal(got) {
		t.Fatal("a plaintext record needs a reseal")
	}
	var sealed session.Record
	raw, _ := c.Encode(got)
	_ = json.Unmarshal(raw, &sealed)
	if c.NeedsReseal(sealed) {
		t.Fatal("a freshly sealed record needs no reseal")
	}
}
