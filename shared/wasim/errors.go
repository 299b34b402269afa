package wasim

import "errors"

// Errors returned by Server methods. The control API maps them to HTTP
// statuses in one place (controlerrors.go).
var (
	// ErrInvalidInput means a malformed phone number, JID, QR string, code or body.
	ErrInvalidInput = errors.New("wasim: invalid input")
	// ErrNoPendingQR means no live registration connection owns the scanned ref.
	ErrNoPendingQR = errors.New("wasim: no pending qr")
	// ErrNoPendingCode means no companion waits for a link code for that phone.
	ErrNoPendingCode = errors.New("wasim: no pending link code")
	// ErrWrongCode means the typed link code does not match the companion's.
	ErrWrongCode = errors.New("wasim: wrong link code")
	// ErrUnknownDevice means the JID names no registered device.
	ErrUnknownDevice = errors.New("wasim: unknown device")
	// ErrDeviceOffline means the device exists but has no logged-in connection.
	ErrDeviceOffline = errors.New("wasim: device offline")
	// ErrNoLiveDevice means a phone has no logged-in device to deliver to.
	ErrNoLiveDevice = errors.New("wasim: no live device")
	// ErrPairRejected means the client refused the pair-success or the pairing
	// connection went away before confirming it.
	ErrPairRejected = errors.New("wasim: pairing rejected")
	// ErrTooManyDevices means a phone ran out of device indexes (1..255).
	ErrTooManyDevices = errors.New("wasim: too many devices for phone")
	// ErrUnknownPhone means no WhatsApp account is registered for the number.
	ErrUnknownPhone = errors.New("wasim: unknown phone")
	// ErrNotRunning means the Server is not started or already stopped.
	ErrNotRunning = errors.New("wasim: not running")
)
