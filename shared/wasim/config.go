package wasim

import (
	"fmt"
	"net"
	"time"

	"go.uber.org/zap"
)

// Defaults applied by Config.withDefaults.
const (
	// DefaultWSAddr is where the websocket endpoint listens unless configured.
	DefaultWSAddr = "127.0.0.1:3998"
	// DefaultControlAddr is where the control API listens unless configured.
	DefaultControlAddr = "127.0.0.1:3999"
	// DefaultQRRefs is the number of refs per pair-device IQ; real WhatsApp sends 6.
	DefaultQRRefs = 6
	// DefaultFirstPrekeyCount makes fresh clients upload 50 prekeys instead of 812.
	DefaultFirstPrekeyCount = 50
	// DefaultCloseDelay is the pause between a stream error and closing the socket (spec §8).
	DefaultCloseDelay = 250 * time.Millisecond
	// DefaultRestartCloseDelay is how long the server waits for the client to act on a 515.
	DefaultRestartCloseDelay = 3 * time.Second
)

// Config configures a Server. Zero values are replaced by the defaults above.
type Config struct {
	// WSAddr is the websocket listen address; port 0 picks a free port.
	WSAddr string
	// ControlAddr is the control API listen address; port 0 picks a free port.
	ControlAddr string
	// QRRefs is the number of refs in the pair-device IQ (1..64). Tests use 1-2
	// refs so the client's QR timeout is 20 s per ref.
	QRRefs int
	// FirstPrekeyCount is the prekey count reported to a device that never
	// uploaded prekeys. Zero means DefaultFirstPrekeyCount; a negative value
	// reports 0, which makes whatsmeow upload 812 keys like on real WhatsApp.
	FirstPrekeyCount int
	// TLS serves the websocket endpoint over TLS with a certificate for
	// web.whatsapp.com issued by a CA generated at startup (redirect option B).
	TLS bool
	// CloseDelay is the pause between sending a stream error or failure and
	// closing the socket, so the client handles the node first.
	CloseDelay time.Duration
	// RestartCloseDelay is the fallback close after a 515 when the client
	// does not close the socket itself.
	RestartCloseDelay time.Duration
	// RootPrivateKey is the Curve25519 private key of the Noise root (32
	// bytes); empty generates one. whatsmeow.WACertPubKey is process-global,
	// so simulators that serve the same client process (e.g. one per test)
	// must share it.
	RootPrivateKey []byte
	// FirstLID is the first LID user this simulator hands out; zero means
	// 100000000000001. Simulators that serve one gateway together (one
	// process holds one socket per device, so a large run needs several)
	// take disjoint ranges, or two accounts would share a LID.
	FirstLID uint64
	// StateFile, when set, is where the simulator keeps its accounts, linked
	// devices and Noise root key across restarts (JSON, mode 0600): loaded
	// by New, written every second when changed and by Stop. Without it a
	// restarted simulator forgets every device and its clients are logged
	// out at their next login.
	StateFile string
	// Logger receives the simulator's logs; nil means no logging.
	Logger *zap.Logger
}

func (c Config) withDefaults() Config {
	if c.WSAddr == "" {
		c.WSAddr = DefaultWSAddr
	}
	if c.ControlAddr == "" {
		c.ControlAddr = DefaultControlAddr
	}
	if c.FirstLID == 0 {
		c.FirstLID = firstLID
	}
	if c.QRRefs == 0 {
		c.QRRefs = DefaultQRRefs
	}
	if c.FirstPrekeyCount == 0 {
		c.FirstPrekeyCount = DefaultFirstPrekeyCount
	} else if c.FirstPrekeyCount < 0 {
		c.FirstPrekeyCount = -1
	}
	if c.CloseDelay == 0 {
		c.CloseDelay = DefaultCloseDelay
	}
	if c.RestartCloseDelay == 0 {
		c.RestartCloseDelay = DefaultRestartCloseDelay
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// Validate reports the first invalid field of a Config with defaults applied.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.WSAddr); err != nil {
		return fmt.Errorf("wasim: ws addr %q: %w", c.WSAddr, err)
	}
	if _, _, err := net.SplitHostPort(c.ControlAddr); err != nil {
		return fmt.Errorf("wasim: control addr %q: %w", c.ControlAddr, err)
	}
	if len(c.RootPrivateKey) != 0 && len(c.RootPrivateKey) != 32 {
		return fmt.Errorf("wasim: root private key must be 32 bytes, got %d", len(c.RootPrivateKey))
	}
	if c.QRRefs < 1 || c.QRRefs > 64 {
		return fmt.Errorf("wasim: qr refs %d out of range 1..64", c.QRRefs)
	}
	if c.FirstPrekeyCount > 100000 {
		return fmt.Errorf("wasim: first prekey count %d too large", c.FirstPrekeyCount)
	}
	if c.CloseDelay < 0 || c.CloseDelay > time.Minute {
		return fmt.Errorf("wasim: close delay %s out of range", c.CloseDelay)
	}
	if c.RestartCloseDelay < 0 || c.RestartCloseDelay > time.Minute {
		return fmt.Errorf("wasim: restart close delay %s out of range", c.RestartCloseDelay)
	}
	return nil
}

// firstCount is the prekey count reported to a device that never uploaded.
func (c Config) firstCount() int {
	if c.FirstPrekeyCount < 0 {
		return 0
	}
	return c.FirstPrekeyCount
}
