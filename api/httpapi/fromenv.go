package httpapi

import "github.com/switchboard-gw/switchboard/shared/config"

// ConfigFrom is the api part of the process configuration, the same for the
// switchboard-api binary and the standalone gateway.
func ConfigFrom(c config.Config) (Config, error) {
	tenantKeys, err := config.ParseTenantKeys(c.TenantKeys)
	if err != nil {
		return Config{}, err
	}
	guard, err := c.WebhookPolicy()
	if err != nil {
		return Config{}, err
	}
	return Config{Addr: c.HTTPAddr, AdminKey: c.AdminKey, TenantKeys: tenantKeys, Shards: c.Shards, WebhookGuard: guard}, nil
}
