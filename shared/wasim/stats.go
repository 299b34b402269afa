package wasim

import "sync/atomic"

// Stats is a snapshot of the simulator's counters. The JSON names are part of
// the control API (GET /stats).
type Stats struct {
	// Connections is the number of open websocket connections.
	Connections int64 `json:"connections"`
	// LoggedIn is the number of devices with a logged-in connection.
	LoggedIn int64 `json:"logged_in"`
	// Handshakes counts completed Noise handshakes.
	Handshakes int64 `json:"handshakes"`
	// Pairings counts devices linked through QR or link code.
	Pairings int64 `json:"pairings"`
	// Replaced counts connections closed with conflict type="replaced".
	Replaced int64 `json:"replaced"`
	// Messages counts inbound messages delivered to a device connection.
	Messages int64 `json:"messages"`
	// KeyShares counts app-state sync keys sent to companions.
	KeyShares int64 `json:"key_shares"`
	// AppStateSyncs counts answered w:sync:app:state collection requests.
	AppStateSyncs int64 `json:"app_state_syncs"`
}

type counters struct {
	connections atomic.Int64
	loggedIn    atomic.Int64
	handshakes  atomic.Int64
	pairings    atomic.Int64
	replaced    atomic.Int64
	messages    atomic.Int64
	keyShares   atomic.Int64
	appSyncs    atomic.Int64
	received    atomic.Int64 // messages phones received from companions (inbound.go)
	refused     atomic.Int64 // message stanzas nacked
	relayed     atomic.Int64 // copies relayed to linked devices
	inboundNs   atomic.Int64 // time spent handling message stanzas
	snapshots   atomic.Int64 // state file snapshots built (persist.go)
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	return Stats{
		Connections:   s.stats.connections.Load(),
		LoggedIn:      s.stats.loggedIn.Load(),
		Handshakes:    s.stats.handshakes.Load(),
		Pairings:      s.stats.pairings.Load(),
		Replaced:      s.stats.replaced.Load(),
		Messages:      s.stats.messages.Load(),
		KeyShares:     s.stats.keyShares.Load(),
		AppStateSyncs: s.stats.appSyncs.Load(),
	}
}
