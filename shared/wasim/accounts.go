package wasim

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/util/keys"
)

const (
	// firstLID is the first LID user handed out; LIDs are 15 digits like real ones.
	firstLID = 100000000000001
	// maxDeviceIndex is the largest device index an AD-JID can carry (one byte).
	maxDeviceIndex = 255
	// maxKeptOTKs bounds the one-time prekeys kept per device for pkmsg bundles.
	maxKeptOTKs = 16
)

// account is one simulated phone: a number with a push name, a LID that is
// never reused for another number, a long-lived identity key pair and the
// linked (companion) devices.
type account struct {
	phone      string
	pushName   string
	lid        string
	identity   *keys.KeyPair
	rawID      uint32
	regID      uint32
	nextDevice int
	devices    map[uint16]*device
	app        *appState // app state shared with companions, created on first use
	sender     *sender   // Signal store of the primary device, created on first use
	inbox      *inbox    // what the primary device received (inbound.go)
}

// prekeyRec is one uploaded prekey (signature only for the signed prekey).
type prekeyRec struct {
	id  uint32
	pub [32]byte
	sig [64]byte
}

// device is one linked companion. All fields are guarded by Server.mu.
type device struct {
	acct        *account
	index       uint16
	jid         types.JID // PHONE:INDEX@s.whatsapp.net
	lid         types.JID // LID:INDEX@lid
	noisePub    [32]byte
	identityPub [32]byte
	regID       uint32
	skey        prekeyRec
	otks        []prekeyRec
	prekeys     int  // server-side count of unused one-time prekeys
	uploaded    bool // the device uploaded prekeys at least once
	removed     bool
	failReason  int               // failure sent on the next login, 0 for none
	conn        *conn             // logged-in connection
	unacked     map[string]string // pkmsg id → sender phone, until a receipt arrives
	keyShared   bool              // the app-state sync key was sent to this device
	queued      []waBinary.Node   // receipts for the device while it is offline (phones.go)
}

// normalizePhone accepts "+15551234567" or "15551234567" and returns digits.
func normalizePhone(phone string) (string, error) {
	p := strings.TrimPrefix(strings.TrimSpace(phone), "+")
	if len(p) < 7 || len(p) > 15 || p[0] == '0' {
		return "", fmt.Errorf("%w: phone %q", ErrInvalidInput, phone)
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return "", fmt.Errorf("%w: phone %q", ErrInvalidInput, phone)
		}
	}
	return p, nil
}

func randomUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}

// accountLocked returns the account of phone, creating it with a fresh LID
// and identity. pushName replaces the stored one when not empty.
func (s *Server) accountLocked(phone, pushName string) *account {
	a := s.accounts[phone]
	if a == nil {
		a = &account{
			phone:      phone,
			pushName:   "Sim " + phone,
			lid:        strconv.FormatUint(s.nextLID, 10),
			identity:   keys.NewKeyPair(),
			rawID:      randomUint32(),
			regID:      randomUint32()%16380 + 1,
			nextDevice: 1,
			devices:    make(map[uint16]*device),
		}
		s.nextLID++
		s.accounts[phone] = a
		s.lids[a.lid] = a
	}
	if pushName != "" {
		a.pushName = pushName
	}
	return a
}

// allocDevice hands out the next device index; indexes are never reused, so a
// re-link never collides with an old device row in the client's store.
func (a *account) allocDevice() (uint16, error) {
	if a.nextDevice > maxDeviceIndex {
		return 0, fmt.Errorf("%w: %s", ErrTooManyDevices, a.phone)
	}
	idx := uint16(a.nextDevice)
	a.nextDevice++
	return idx, nil
}

func (a *account) jid(index uint16) types.JID {
	return types.NewADJID(a.phone, 0, uint8(index))
}

func (a *account) lidJID(index uint16) types.JID {
	return types.NewADJID(a.lid, types.LIDDomain, uint8(index))
}

// deviceLocked finds a device by a PN or LID device JID.
func (s *Server) deviceLocked(jid types.JID) *device {
	var a *account
	switch jid.Server {
	case types.DefaultUserServer:
		a = s.accounts[jid.User]
	case types.HiddenUserServer:
		a = s.lids[jid.User]
	}
	if a == nil {
		return nil
	}
	return a.devices[jid.Device]
}

// parseDeviceJID parses a companion device JID from the control API.
func parseDeviceJID(raw string) (types.JID, error) {
	jid, err := types.ParseJID(raw)
	if err != nil || jid.Device == 0 || (jid.Server != types.DefaultUserServer && jid.Server != types.HiddenUserServer) {
		return types.EmptyJID, fmt.Errorf("%w: device jid %q", ErrInvalidInput, raw)
	}
	return jid, nil
}
