package event

import "slices"

// Webhook filter aliases accepted in a webhook's event list besides the
// event types (the worker's dispatcher gives their meaning).
const (
	FilterAll          = "*"
	FilterConnected    = "connected"
	FilterDisconnected = "disconnected"
	FilterLoggedOut    = "logged_out"
	FilterStatus       = "session.status"
)

// filterNames is every name a webhook event list may hold. A new event type
// a tenant may subscribe to must be added here, or creates naming it fail.
var filterNames = []string{
	string(StatusChanged), string(QR), string(PairCode), string(LoggedIn), string(LoggedOut), string(PushNameChanged),
	string(MessageReceived), string(RestartGivenUp),
	// Outbound message status changes (the messaging events).
	"message_status",
	FilterAll, FilterConnected, FilterDisconnected, FilterLoggedOut, FilterStatus,
}

// ValidFilter reports whether name may appear in a webhook's event list.
func ValidFilter(name string) bool { return slices.Contains(filterNames, name) }

// FilterNames returns every valid webhook event name, for error messages
// and documentation.
func FilterNames() []string { return slices.Clone(filterNames) }
