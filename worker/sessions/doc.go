// Package sessions holds the per-session actor: one whatsmeow client and a
// mailbox through which its commands, its client's events and its timers are
// applied one at a time, in order.
//
// An actor has no goroutine while its mailbox is empty; one is started when
// work arrives and exits when the mailbox drains, so an idle session costs
// only its client (none while stopped).
//
// Commands (each ends with a state write carrying the command id):
//
//	start    paced connect (no-op when connected)             → STARTING;
//	         no linked device → registration → QR
//	stop     disconnect, keep the device                      → STOPPED
//	restart  disconnect + paced connect                       → STARTING
//	pair     registration connection, wait for its QR event, PairPhone → PAIR_CODE
//	logout   Logout at WhatsApp (connecting first if needed), delete the device
//	         locally whatever happens, unlink                  → LOGGED_OUT
//	delete   as logout, then remove the session and pairing keys
//
// Client events:
//
//	QR                 → SCAN_QR_CODE, codes to wa_pairing, window timer armed
//	PairSuccess        → CONNECTED, device fields, link recorded, pairing removed
//	Connected          → WORKING, last_connected_at, last_keepalive
//	Disconnected       → STARTING while wanted, paced reconnect after a backoff
//	                     (0, 2, 4 … 60 s per failure in a row); on a
//	                     registration: STOPPED qr_timeout / pair_code_timeout
//	window timer       → STOPPED qr_timeout / pair_code_timeout
//	LoggedOut          → LOGGED_OUT device_removed | login_refused: <reason>, unlinked
//	StreamReplaced     → FAILED replaced (no reconnect)
//	TemporaryBan       → FAILED temporary_ban
//	ClientOutdated     → FAILED client_outdated
//	ConnectFailure     → FAILED connect_failure: <reason>
//	KeepAliveTimeout   → status kept, last_error keepalive_timeout: N failures;
//	                     after whatsmeow's KeepAliveMaxFailTime: disconnect,
//	                     STARTING, paced reconnect
//	KeepAliveRestored  → last_keepalive, last_error cleared
//	PushNameSetting    → push_name
//	Message (inbound)  → message event
//
// Paced connects:
//
//	ok, linked         → nothing yet: Connected writes WORKING moments later
//	ok, new device     → STARTING (QR moves it on)
//	failed, linked     → STARTING connect: <error>, retried after the backoff
//	                     (also when the device store could not be read)
//	failed, new device → FAILED connect: <error>
//
// Every connect goes through the worker's pacer (whatsmeow's own
// auto-reconnect is off): takeovers, start and restart commands, reconnects
// after a dropped socket; pair and logout wait for a slot before they
// connect. Liveness: while WORKING on a connected, logged-in client with no
// keepalive failure since, the worker's liveness walk rewrites
// last_keepalive every session.LivenessPeriod; a dead socket gets none.
//
// Every status change is also published as a session_status event, and
// moves status_since.
package sessions
