package wasim

import (
	"fmt"

	"go.mau.fi/whatsmeow/proto/waWa6"
	"go.mau.fi/whatsmeow/socket"
	"go.mau.fi/whatsmeow/util/keys"
	"google.golang.org/protobuf/proto"
)

// waConnHeader opens the client's first websocket message ("WA", magic 6,
// dictionary version); it is also the Noise prologue.
var waConnHeader = socket.WAConnHeader

// handshake is the per-connection Noise state, dropped once the transport
// keys exist.
type handshake struct {
	noise *noiseState
	eph   *keys.KeyPair
}

// onClientHello answers frame 1 with the server hello (spec §3 steps 3-9).
func (c *conn) onClientHello(frame []byte) error {
	if c.srv.faults.Load().StallHandshakes {
		c.phase = phaseStalled
		return nil
	}
	var msg waWa6.HandshakeMessage
	if err := proto.Unmarshal(frame, &msg); err != nil {
		return fmt.Errorf("%w: client hello: %w", errMalformed, err)
	}
	clientEph := msg.GetClientHello().GetEphemeral()
	if len(clientEph) != 32 {
		return fmt.Errorf("%w: client ephemeral of %d bytes", errMalformed, len(clientEph))
	}
	// Fixed-base key generation, as the gateway's whatsmeow does (patched
	// util/keys): the simulator shares the box it is measured on.
	eph := keys.NewKeyPair()
	ns := newNoiseState()
	ns.mixHash(clientEph)
	ns.mixHash(eph.Pub[:])
	if err := ns.mixKey(eph, clientEph); err != nil {
		return err
	}
	staticCT := ns.encrypt(c.srv.ident.static.Pub[:])
	if err := ns.mixKey(c.srv.ident.static, clientEph); err != nil {
		return err
	}
	certCT := ns.encrypt(c.srv.ident.chain)
	out, err := proto.Marshal(&waWa6.HandshakeMessage{ServerHello: &waWa6.HandshakeMessage_ServerHello{
		Ephemeral: eph.Pub[:],
		Static:    staticCT,
		Payload:   certCT,
	}})
	if err != nil {
		return fmt.Errorf("wasim: server hello: %w", err)
	}
	c.hs = &handshake{noise: ns, eph: eph}
	c.phase = phaseFinish
	return c.sendRaw(out)
}

// onClientFinish reads the client static key and payload, derives the
// transport keys and hands the connection to login or registration.
func (c *conn) onClientFinish(frame []byte) error {
	var msg waWa6.HandshakeMessage
	if err := proto.Unmarshal(frame, &msg); err != nil {
		return fmt.Errorf("%w: client finish: %w", errMalformed, err)
	}
	finish := msg.GetClientFinish()
	ns := c.hs.noise
	static, err := ns.decrypt(finish.GetStatic())
	if err != nil || len(static) != 32 {
		return fmt.Errorf("%w: client static", errMalformed)
	}
	if err := ns.mixKey(c.hs.eph, static); err != nil {
		return err
	}
	payloadBytes, err := ns.decrypt(finish.GetPayload())
	if err != nil {
		return fmt.Errorf("%w: client payload", errMalformed)
	}
	var payload waWa6.ClientPayload
	if err := proto.Unmarshal(payloadBytes, &payload); err != nil {
		return fmt.Errorf("%w: client payload: %w", errMalformed, err)
	}
	read, write, err := ns.split()
	if err != nil {
		return err
	}
	copy(c.static[:], static)
	c.rkey, c.rn = read, 0
	c.wmu.Lock()
	c.wkey, c.wn = write, 0
	c.wmu.Unlock()
	c.hs = nil
	c.phase = phaseOpen
	c.hsTimer.Stop()
	c.srv.stats.handshakes.Add(1)

	switch {
	case payload.GetDevicePairingData() != nil:
		return c.srv.startRegistration(c, payload.GetDevicePairingData())
	case payload.Username != nil:
		return c.srv.login(c, payload.GetUsername(), payload.GetDevice())
	default:
		c.srv.log.Debug("client payload is neither login nor registration")
		return fmt.Errorf("%w: client payload kind", errMalformed)
	}
}
