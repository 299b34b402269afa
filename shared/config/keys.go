package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/switchboard-gw/switchboard/shared/session"
)

// MinKeyLength is the shortest api key accepted from the environment.
const MinKeyLength = 16

// ValidateKeys checks SWITCHBOARD_ADMIN_KEY and SWITCHBOARD_TENANT_KEYS
// together: each key long enough and without surrounding spaces, no key
// given to two tenants or shared with the admin key, valid tenant names.
// Messages name the variable and the tenant, never the key.
func ValidateKeys(adminKey, tenantKeys string) error {
	if adminKey != "" {
		if err := checkKey(adminKey); err != nil {
			return fmt.Errorf("config: SWITCHBOARD_ADMIN_KEY %w", err)
		}
	}
	keys, err := ParseTenantKeys(tenantKeys)
	if err != nil {
		return err
	}
	if _, ok := keys[adminKey]; ok && adminKey != "" {
		return fmt.Errorf("config: SWITCHBOARD_TENANT_KEYS: tenant %q uses the admin key", keys[adminKey])
	}
	return nil
}

// ParseTenantKeys parses SWITCHBOARD_TENANT_KEYS, "tenant:key,tenant2:key2",
// into a map from key to tenant. A tenant may have several keys; a key may
// appear only once.
func ParseTenantKeys(s string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for i, pair := range strings.Split(s, ",") {
		tenant, key, ok := strings.Cut(pair, ":")
		if !ok {
			return nil, fmt.Errorf("config: SWITCHBOARD_TENANT_KEYS entry %d must be tenant:key", i+1)
		}
		if !session.ValidTenant(tenant) {
			return nil, fmt.Errorf("config: SWITCHBOARD_TENANT_KEYS entry %d: tenant %q must match [A-Za-z0-9_-]{1,64}, not start with \"_\" (reserved, e.g. %s), and have no spaces around it",
				i+1, tenant, session.SystemTenant)
		}
		if err := checkKey(key); err != nil {
			return nil, fmt.Errorf("config: SWITCHBOARD_TENANT_KEYS entry %d (tenant %q): key %w", i+1, tenant, err)
		}
		if prev, dup := out[key]; dup {
			return nil, fmt.Errorf("config: SWITCHBOARD_TENANT_KEYS: tenants %q and %q share a key; every key must be unique", prev, tenant)
		}
		out[key] = tenant
	}
	return out, nil
}

// checkKey reports why k cannot be an api key.
func checkKey(k string) error {
	if strings.TrimSpace(k) != k {
		return errors.New("has leading or trailing spaces (a client can never send it)")
	}
	if len(k) < MinKeyLength {
		return fmt.Errorf("is shorter than %d characters", MinKeyLength)
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e || k[i] == ',' {
			return errors.New("must be visible ASCII characters without commas")
		}
	}
	return nil
}

// ParseTenantRateLimits parses SWITCHBOARD_TENANT_RATE_LIMITS,
// "tenant:rate,…" (requests per second per key, 0 = unlimited).
func ParseTenantRateLimits(s string) (map[string]float64, error) {
	out := map[string]float64{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for i, pair := range strings.Split(s, ",") {
		tenant, raw, ok := strings.Cut(strings.TrimSpace(pair), ":")
		r, err := strconv.ParseFloat(raw, 64)
		if !ok || !session.ValidTenant(tenant) || err != nil || !(r >= 0) || math.IsInf(r, 0) {
			return nil, fmt.Errorf("config: SWITCHBOARD_TENANT_RATE_LIMITS entry %d must be tenant:rate with a valid tenant and a rate >= 0", i+1)
		}
		out[tenant] = r
	}
	return out, nil
}
