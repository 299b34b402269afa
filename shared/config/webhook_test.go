package config

import (
	"net/netip"
	"testing"
	"time"
)

func TestWebhookVariables(t *testing.T) {
	t.Setenv("SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE", "")
	t.Setenv("SWITCHBOARD_WEBHOOK_ALLOW_CIDRS", "10.20.0.0/16, 127.0.0.1")
	t.Setenv("SWITCHBOARD_DEAD_LETTER_RETENTION", "")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.DeadLetterRetention != 7*24*time.Hour {
		t.Errorf("default dead-letter retention %v", c.DeadLetterRetention)
	}
	p, err := c.WebhookPolicy()
	if err != nil || p.AllowPrivate || len(p.Allow) != 2 {
		t.Fatalf("policy %+v, %v", p, err)
	}
	if !p.Allowed(netip.MustParseAddr("10.20.3.4")) || p.Allowed(netip.MustParseAddr("10.21.0.1")) {
		t.Error("allow list not applied")
	}
	t.Setenv("SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE", "true")
	if c, err := Load(); err != nil || !c.WebhookAllowPrivate {
		t.Errorf("allow private: %v %v", c.WebhookAllowPrivate, err)
	}
	for name, val := range map[string]string{
		"SWITCHBOARD_WEBHOOK_ALLOW_CIDRS":   "10.0.0.0/99",
		"SWITCHBOARD_DEAD_LETTER_RETENTION": "-1h",
		"SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE": "maybe",
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, val)
			if _, err := Load(); err == nil {
				t.Errorf("%s=%s accepted", name, val)
			}
		})
	}
}
