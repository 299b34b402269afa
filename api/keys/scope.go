// Package keys manages api keys: scopes, generation, and a store of hashed
// managed keys in a KV bucket that every api replica watches, so a created
// key works and a revoked key stops working on every replica.
package keys

import "slices"

// Scope is a permission of an api key; every route requires one.
type Scope string

// Scopes. Routes that only read need SessionsRead, routes that change
// sessions need SessionsWrite, sending messages needs MessagesSend, and
// /api/v1/admin/… needs Admin.
const (
	SessionsRead  Scope = "sessions:read"
	SessionsWrite Scope = "sessions:write"
	MessagesSend  Scope = "messages:send"
	// Admin is operator level: it manages keys of every tenant.
	Admin Scope = "admin"
)

// All is every scope, in documentation order: what the bootstrap admin key
// holds.
var All = []Scope{SessionsRead, SessionsWrite, MessagesSend, Admin}

// Tenant is what an env tenant key (SWITCHBOARD_TENANT_KEYS) holds: every
// scope but Admin.
var Tenant = []Scope{SessionsRead, SessionsWrite, MessagesSend}

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return slices.Contains(All, s) }

// Has reports whether scopes contains s.
func Has(scopes []Scope, s Scope) bool { return slices.Contains(scopes, s) }
