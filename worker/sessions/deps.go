package sessions

import (
	"errors"
	"sync/atomic"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/store"
	waLog "go.mau.fi/whatsmeow/util/log"
	"go.uber.org/zap"

	"github.com/switchboard-gw/switchboard/shared/devstore"
	"github.com/switchboard-gw/switchboard/shared/message"
	"github.com/switchboard-gw/switchboard/shared/msglog"
	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/worker/pacer"
	"github.com/switchboard-gw/switchboard/worker/report"
)

// Defaults of Deps timings.
const (
	// ConnectsPerCPU is the cap on connects in flight per CPU the worker
	// uses (Deps.Connecting): enough to keep every core busy against the
	// simulator, and above what the real-WhatsApp pacer default (100/s)
	// keeps in flight at a second per connect.
	ConnectsPerCPU = 64
	// DefaultPairCodeTTL is how long an issued pair code stays valid before
	// the registration connection is closed.
	DefaultPairCodeTTL = 3 * time.Minute
	// DefaultRegistrationWait bounds the wait for the first QR event of a
	// registration connection before PairPhone.
	DefaultRegistrationWait = 20 * time.Second
	// DefaultLoginWait bounds the wait for a linked device to log in before
	// a logout that needs the connection.
	DefaultLoginWait = 15 * time.Second
	// DefaultOpTimeout bounds one NATS or database operation.
	DefaultOpTimeout = 10 * time.Second
	// DefaultSendWait is how long a message waits for its session to be
	// logged in before it fails with timed_out.
	DefaultSendWait = time.Minute
	// reconnectStep is the added wait per failed reconnect in a row before
	// the next one queues at the pacer (whatsmeow's own auto-reconnect
	// waits the same), up to reconnectMaxWait.
	reconnectStep    = 2 * time.Second
	reconnectMaxWait = time.Minute
)

// ClientFactory builds a whatsmeow client for a device, already pointed at
// the right servers (WhatsApp or the simulator) with the worker's shared
// HTTP client, or through the session's proxy (an http, https or socks5 URL;
// "" for none) when it has one.
type ClientFactory func(dev *store.Device, log waLog.Logger, proxy string) (*whatsmeow.Client, error)

// Deps are what every session of a worker shares.
type Deps struct {
	Reporter  *report.Reporter
	Devices   devstore.Links
	NewClient ClientFactory
	Log       *zap.Logger
	// Pacer releases every connect of the worker's clients: takeovers,
	// start and restart commands, reconnects after a dropped socket.
	Pacer *pacer.Pacer
	// Codec opens the sealed proxy of a record (a zero Codec: no master key).
	Codec session.Codec
	// Metrics records connects, command timings and keepalive failures;
	// nil records nothing.
	Metrics *Metrics

	PairCodeTTL      time.Duration
	RegistrationWait time.Duration
	LoginWait        time.Duration
	OpTimeout        time.Duration
	// Messages keeps outbound message records. Required.
	Messages *message.Store
	// MsgLog is the message log; nil logs nothing.
	MsgLog *msglog.Store
	// SendWait bounds a message's wait for a logged-in session.
	SendWait time.Duration

	// Connecting, when set, caps the connects in flight (device load, dial
	// and handshake) of the worker: one slot per connect. The pacer sets
	// the rate at which connects start; the cap keeps a takeover of
	// thousands of sessions from running thousands of handshakes at once on
	// a few cores, which starved everything else of the process (state
	// writes and NATS round trips timed out). nil: no cap.
	Connecting chan struct{}
	// Connects, when set, counts the connects wanted: waiting for a slot of
	// Connecting or in flight. The worker reads it to tell a storm of
	// logins (restart, takeover) from the odd reconnect.
	Connects *atomic.Int64
	// Loading, when set, counts the sessions starting shards will connect
	// but have not queued at the pacer yet (marked STARTING, devices read):
	// a restart or takeover is a storm from its first read, not only once
	// its connects are queued.
	Loading *atomic.Int64

	// QRWindow, when positive, replaces the QR window computed from
	// whatsmeow's code lifetimes (60 s + 5×20 s for six codes, 20 s each
	// otherwise). Tests shorten it.
	QRWindow time.Duration
}

// Validate applies defaults and reports missing dependencies.
func (d *Deps) Validate() error {
	if d.Reporter == nil || d.Devices == nil || d.NewClient == nil || d.Log == nil || d.Pacer == nil || d.Messages == nil {
		return errors.New("sessions: Reporter, Devices, NewClient, Log, Pacer and Messages are required")
	}
	if d.SendWait <= 0 {
		d.SendWait = DefaultSendWait
	}
	if d.PairCodeTTL <= 0 {
		d.PairCodeTTL = DefaultPairCodeTTL
	}
	if d.RegistrationWait <= 0 {
		d.RegistrationWait = DefaultRegistrationWait
	}
	if d.LoginWait <= 0 {
		d.LoginWait = DefaultLoginWait
	}
	if d.OpTimeout <= 0 {
		d.OpTimeout = DefaultOpTimeout
	}
	return nil
}
