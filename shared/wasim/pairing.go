package wasim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"time"

	"go.mau.fi/libsignal/ecc"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/types"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
)

// pairTimeout bounds the wait for the client's pair-device-sign.
const pairTimeout = 20 * time.Second

// ADV signature prefixes (E2EE account and device types; spec §6).
var (
	advAccountPrefix = []byte{6, 0}
	advDevicePrefix  = []byte{6, 1}
)

// PairResult names the device created by a pairing.
type PairResult struct {
	// JID is the device's phone-number JID, PHONE:DEVICE@s.whatsapp.net.
	JID types.JID
	// LID is the device's LID JID, LID:DEVICE@lid.
	LID types.JID
}

// pendingPair is a pair-success waiting for the client's pair-device-sign.
type pendingPair struct {
	id      string
	acct    *account
	index   uint16
	details []byte // serialized ADVDeviceIdentity
	done    chan error
}

// complete reports the outcome once; later calls are ignored.
func (p *pendingPair) complete(err error) {
	select {
	case p.done <- err:
	default:
	}
}

// pair runs spec §6 steps 4-7 on a registration connection once the phone
// has the client's advSecret (from the QR or from the link-code exchange).
func (s *Server) pair(ctx context.Context, c *conn, phone, pushName string, advSecret []byte) (PairResult, error) {
	s.mu.Lock()
	if c.gone || c.reg == nil || c.reg.pair != nil {
		s.mu.Unlock()
		return PairResult{}, fmt.Errorf("%w: connection gone or already pairing", ErrNoPendingQR)
	}
	acct := s.accountLocked(phone, pushName)
	idx, err := acct.allocDevice()
	clientIdentity := c.reg.identityPub
	s.mu.Unlock()
	if err != nil {
		return PairResult{}, err
	}

	container, details, err := buildDeviceIdentity(acct, idx, clientIdentity, advSecret)
	if err != nil {
		return PairResult{}, err
	}
	p := &pendingPair{id: newID(), acct: acct, index: idx, details: details, done: make(chan error, 1)}
	s.mu.Lock()
	if c.gone || c.reg.pair != nil {
		s.mu.Unlock()
		return PairResult{}, fmt.Errorf("%w: connection gone or already pairing", ErrNoPendingQR)
	}
	for _, ref := range c.reg.refs {
		delete(s.refs, ref)
	}
	c.reg.refs = nil
	c.reg.pair = p
	s.mu.Unlock()

	success := iqSet(p.id, "md", waBinary.Node{Tag: "pair-success", Content: []waBinary.Node{
		{Tag: "device-identity", Attrs: waBinary.Attrs{"key-index": fmt.Sprint(idx)}, Content: container},
		{Tag: "platform", Attrs: waBinary.Attrs{"name": "android"}},
		{Tag: "device", Attrs: waBinary.Attrs{"jid": acct.jid(idx), "lid": acct.lidJID(idx)}},
	}})
	if err := c.sendNode(success); err != nil {
		s.finishPair(c, p, nil, ErrPairRejected)
		return PairResult{}, fmt.Errorf("%w: %w", ErrPairRejected, err)
	}
	timer := time.NewTimer(pairTimeout)
	defer timer.Stop()
	select {
	case err = <-p.done:
	case <-ctx.Done():
		err = ctx.Err()
	case <-timer.C:
		err = fmt.Errorf("%w: no pair-device-sign within %s", ErrPairRejected, pairTimeout)
	}
	if err != nil {
		return PairResult{}, err
	}
	return PairResult{JID: acct.jid(idx), LID: acct.lidJID(idx)}, nil
}

// buildDeviceIdentity builds the ADVSignedDeviceIdentityHMAC container
// signed by the account identity and MACed with the client's advSecret.
func buildDeviceIdentity(acct *account, idx uint16, clientIdentity [32]byte, advSecret []byte) (container, details []byte, err error) {
	details, err = proto.Marshal(&waAdv.ADVDeviceIdentity{
		RawID:       proto.Uint32(acct.rawID),
		Timestamp:   proto.Uint64(uint64(time.Now().Unix())),
		KeyIndex:    proto.Uint32(uint32(idx)),
		AccountType: waAdv.ADVEncryptionType_E2EE.Enum(),
		DeviceType:  waAdv.ADVEncryptionType_E2EE.Enum(),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("wasim: adv details: %w", err)
	}
	msg := concat(advAccountPrefix, details, clientIdentity[:])
	sig := ecc.CalculateSignature(ecc.NewDjbECPrivateKey(*acct.identity.Priv), msg)
	signed, err := proto.Marshal(&waAdv.ADVSignedDeviceIdentity{
		Details:             details,
		AccountSignatureKey: acct.identity.Pub[:],
		AccountSignature:    sig[:],
	})
	if err != nil {
		return nil, nil, fmt.Errorf("wasim: adv identity: %w", err)
	}
	mac := hmac.New(sha256.New, advSecret)
	mac.Write(signed)
	container, err = proto.Marshal(&waAdv.ADVSignedDeviceIdentityHMAC{
		Details:     signed,
		HMAC:        mac.Sum(nil),
		AccountType: waAdv.ADVEncryptionType_E2EE.Enum(),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("wasim: adv container: %w", err)
	}
	return container, details, nil
}

// onPairDeviceSign checks the client's device signature, registers the
// device and sends the 515 that makes the client log in (spec §6 step 7).
func (s *Server) onPairDeviceSign(c *conn, p *pendingPair, node *waBinary.Node) {
	raw := bytesContent(node.GetChildByTag("pair-device-sign", "device-identity"))
	var signed waAdv.ADVSignedDeviceIdentity
	if err := proto.Unmarshal(raw, &signed); err != nil || !bytes.Equal(signed.GetDetails(), p.details) ||
		len(signed.GetDeviceSignature()) != 64 {
		s.finishPair(c, p, nil, fmt.Errorf("%w: bad pair-device-sign", ErrPairRejected))
		return
	}
	s.mu.Lock()
	reg := c.reg
	s.mu.Unlock()
	msg := concat(advDevicePrefix, p.details, reg.identityPub[:], p.acct.identity.Pub[:])
	if !ecc.VerifySignature(ecc.NewDjbECPublicKey(reg.identityPub), msg, [64]byte(signed.GetDeviceSignature())) {
		s.finishPair(c, p, nil, fmt.Errorf("%w: device signature mismatch", ErrPairRejected))
		return
	}
	dev := &device{
		acct:        p.acct,
		index:       p.index,
		jid:         p.acct.jid(p.index),
		lid:         p.acct.lidJID(p.index),
		noisePub:    c.static,
		identityPub: reg.identityPub,
		regID:       reg.regID,
		skey:        reg.skey,
	}
	s.finishPair(c, p, dev, nil)
}

// finishPair ends a pending pairing: on success it registers dev, counts the
// pairing and sends the 515; on failure it closes the connection.
func (s *Server) finishPair(c *conn, p *pendingPair, dev *device, err error) {
	s.mu.Lock()
	if c.reg != nil && c.reg.pair == p {
		c.reg.pair = nil
	}
	if err == nil {
		p.acct.devices[dev.index] = dev
		if c.reg != nil && c.reg.code != nil && s.codes[c.reg.code.phone] == c {
			delete(s.codes, c.reg.code.phone)
		}
	}
	s.mu.Unlock()
	if err != nil {
		s.log.Debug("pairing failed", zap.Error(err))
		c.closeAfter(s.cfg.CloseDelay)
		p.complete(err)
		return
	}
	s.stats.pairings.Add(1)
	s.log.Debug("device paired", zap.Stringer("jid", dev.jid))
	// The client reconnects with its login payload on 515; if it does not
	// close the socket itself, close it after a while.
	c.sendThenClose(streamError("515", ""), s.cfg.RestartCloseDelay)
	p.complete(nil)
}

func concat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
