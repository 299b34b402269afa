package session

import "strings"

// SystemTenant is reserved for Switchboard's own use; no key may act as it.
const SystemTenant = "_system"

// ValidTenant reports whether name may be a tenant: a valid subject token
// (the session id pattern) that does not start with "_", the prefix kept
// for reserved names such as SystemTenant.
func ValidTenant(name string) bool {
	return ValidID(name) && !strings.HasPrefix(name, "_")
}
