package wasim

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waWa6"
)

// registration is the state of a connection from a client without a device
// identity (spec §5, §6). Guarded by Server.mu.
type registration struct {
	identityPub [32]byte
	regID       uint32
	skey        prekeyRec
	refs        []string
	code        *linkCode    // set after companion_hello (pair code)
	pair        *pendingPair // set while pair-success awaits pair-device-sign
}

// startRegistration records the pairing data and sends the single
// pair-device IQ with Config.QRRefs refs. Sending it more than once per
// connection would start a second QR rotation in the client.
func (s *Server) startRegistration(c *conn, d *waWa6.ClientPayload_DevicePairingRegistrationData) error {
	if len(d.GetERegid()) != 4 || len(d.GetEIdent()) != 32 || len(d.GetESkeyID()) != 3 ||
		len(d.GetESkeyVal()) != 32 || len(d.GetESkeySig()) != 64 {
		return fmt.Errorf("%w: device pairing data", errMalformed)
	}
	reg := &registration{regID: binary.BigEndian.Uint32(d.GetERegid())}
	copy(reg.identityPub[:], d.GetEIdent())
	reg.skey.id = binary.BigEndian.Uint32(append([]byte{0}, d.GetESkeyID()...))
	copy(reg.skey.pub[:], d.GetESkeyVal())
	copy(reg.skey.sig[:], d.GetESkeySig())

	refNodes := make([]waBinary.Node, s.cfg.QRRefs)
	reg.refs = make([]string, s.cfg.QRRefs)
	for i := range refNodes {
		reg.refs[i] = newRef()
		refNodes[i] = waBinary.Node{Tag: "ref", Content: []byte(reg.refs[i])}
	}
	s.mu.Lock()
	c.reg = reg
	for _, ref := range reg.refs {
		s.refs[ref] = c
	}
	s.mu.Unlock()
	return c.sendNode(iqSet(newID(), "md", waBinary.Node{Tag: "pair-device", Content: refNodes}))
}

// newRef makes a QR ref shaped like WhatsApp's ("2@…"); it never contains a
// comma, the QR field separator.
func newRef() string {
	var b [30]byte
	_, _ = rand.Read(b[:])
	return "2@" + base64.StdEncoding.EncodeToString(b[:])
}

// dropRegistrationLocked forgets the refs and pending code of a registration
// connection and fails anyone waiting on it.
func (s *Server) dropRegistrationLocked(c *conn) {
	reg := c.reg
	for _, ref := range reg.refs {
		if s.refs[ref] == c {
			delete(s.refs, ref)
		}
	}
	reg.refs = nil
	if reg.code != nil {
		if s.codes[reg.code.phone] == c {
			delete(s.codes, reg.code.phone)
		}
		reg.code.abort()
	}
	if reg.pair != nil {
		reg.pair.complete(ErrPairRejected)
		reg.pair = nil
	}
}
