package config

import (
	"strings"
	"testing"
)

const (
	goodA = "acme-key-0123456789"
	goodB = "beta-key-0123456789"
	admin = "admin-key-0123456789"
)

// TestValidateKeys is finding 5's loose parsing: each row was accepted
// before (and silently mis-mapped, or could never match).
func TestValidateKeys(t *testing.T) {
	for _, tc := range []struct {
		name, admin, tenants string
		wantErr              string // "" = valid
	}{
		{"empty", "", "", ""},
		{"good", admin, "acme:" + goodA + ",beta:" + goodB, ""},
		{"two keys one tenant", admin, "acme:" + goodA + ",acme:" + goodB, ""},
		{"same key two tenants", admin, "acme:" + goodA + ",beta:" + goodA, "share a key"},
		{"same key twice", "", "acme:" + goodA + ",acme:" + goodA, "share a key"},
		{"one-character key", "", "acme:k", "shorter than 16"},
		{"short admin key", "short", "", "SWITCHBOARD_ADMIN_KEY is shorter"},
		{"leading space in key", "", "acme: " + goodA, "leading or trailing spaces"},
		{"trailing space in key", "", "acme:" + goodA + " ", "leading or trailing spaces"},
		{"space around pair", "", " acme:" + goodA, "tenant"},
		{"admin key with space", " " + admin, "", "leading or trailing"},
		{"reserved tenant", "", "_system:" + goodA, "reserved"},
		{"underscore tenant", "", "_ops:" + goodA, "reserved"},
		{"dotted tenant", "", "a.b:" + goodA, "must match"},
		{"empty tenant", "", ":" + goodA, "must match"},
		{"no colon", "", goodA, "must be tenant:key"},
		{"trailing comma", "", "acme:" + goodA + ",", "must be tenant:key"},
		{"tenant uses admin key", admin, "acme:" + admin, "uses the admin key"},
		{"control char in key", "", "acme:" + goodA + "\x07", "visible ASCII"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateKeys(tc.admin, tc.tenants)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("accepted, want error containing %q", tc.wantErr)
			case err != nil && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("error %q does not contain %q", err, tc.wantErr)
			}
			if err != nil {
				for _, secret := range []string{goodA, goodB, admin} {
					if strings.Contains(err.Error(), secret) {
						t.Fatalf("error reveals a key: %v", err)
					}
				}
			}
		})
	}
}

// TestLoadRefusesBadKeys checks that the binaries' Load fails (they exit 1)
// on a bad key, and accepts the rate-limit variables.
func TestLoadRefusesBadKeys(t *testing.T) {
	t.Setenv("SWITCHBOARD_TENANT_KEYS", "acme:"+goodA+",beta:"+goodA)
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), "share a key") {
		t.Fatalf("Load: %v", err)
	}
	t.Setenv("SWITCHBOARD_TENANT_KEYS", "acme:"+goodA)
	t.Setenv("SWITCHBOARD_TENANT_RATE_LIMITS", "acme:5,beta:0.5")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "" || c.RateLimit != 50 || c.AuthFailLimit != 30 {
		t.Fatalf("defaults: %+v", c)
	}
	for _, bad := range []string{"acme:-1", "acme:x", "_system:5", "acme:NaN", "acme"} {
		if _, err := ParseTenantRateLimits(bad); err == nil {
			t.Errorf("rate limits %q accepted", bad)
		}
	}
	t.Setenv("SWITCHBOARD_TLS_CERT_FILE", "/x.pem")
	if _, err := Load(); err == nil {
		t.Fatal("cert without key accepted")
	}
}
