package session

// Status is the internal status vocabulary of a session. Every API surface
// maps it to its own words.
type Status string

// Internal statuses.
const (
	StatusCreated   Status = "CREATED"
	StatusStarting  Status = "STARTING"
	StatusScanQR    Status = "SCAN_QR_CODE"
	StatusPairCode  Status = "PAIR_CODE"
	StatusConnected Status = "CONNECTED" // socket up, not logged in
	StatusWorking   Status = "WORKING"
	StatusStopped   Status = "STOPPED"
	StatusFailed    Status = "FAILED"
	StatusLoggedOut Status = "LOGGED_OUT"
)

// Statuses lists every internal status, in lifecycle order (metrics report
// each one, zero included, so that series never vanish).
var Statuses = []Status{
	StatusCreated, StatusStarting, StatusScanQR, StatusPairCode, StatusConnected,
	StatusWorking, StatusStopped, StatusFailed, StatusLoggedOut,
}

// Valid reports whether s is one of the internal statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusCreated, StatusStarting, StatusScanQR, StatusPairCode, StatusConnected,
		StatusWorking, StatusStopped, StatusFailed, StatusLoggedOut:
		return true
	}
	return false
}

// Waxum returns the status word of the /api/v1 surface (seed 003):
// disconnected, connecting, waiting_for_qr, waiting_for_pair_code, connected, logged_in.
func (s Status) Waxum() string {
	switch s {
	case StatusStarting, StatusCreated:
		return "connecting"
	case StatusScanQR:
		return "waiting_for_qr"
	case StatusPairCode:
		return "waiting_for_pair_code"
	case StatusConnected:
		return "connected"
	case StatusWorking:
		return "logged_in"
	default: // STOPPED, FAILED, LOGGED_OUT
		return "disconnected"
	}
}

// WASend returns the status word of the WASend and Wawp surfaces:
// CREATED, STARTING, SCAN_QR_CODE, WORKING, STOPPED, FAILED.
func (s Status) WASend() string {
	switch s {
	case StatusPairCode:
		return string(StatusScanQR)
	case StatusConnected:
		return string(StatusStarting)
	case StatusLoggedOut:
		return string(StatusStopped)
	default:
		return string(s)
	}
}

// LoggedIn reports whether the status means the device is logged in.
func (s Status) LoggedIn() bool { return s == StatusWorking }
