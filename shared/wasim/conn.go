package wasim

import (
	"bytes"
	"context"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.uber.org/zap"
)

const (
	// maxFrameSize bounds one client frame; an 812-key prekey upload is ~37 KB.
	maxFrameSize = 4 << 20
	// handshakeTimeout closes connections that do not finish the handshake.
	// whatsmeow itself gives up after 20 s.
	handshakeTimeout = 25 * time.Second
	// writeTimeout bounds one websocket write to a slow client.
	writeTimeout = 10 * time.Second
	// frameLengthSize is the 3-byte big-endian length prefix of every frame.
	frameLengthSize = 3
)

var errMalformed = errors.New("wasim: malformed client data")

type phase uint8

const (
	phaseHello   phase = iota // waiting for the connection header and ClientHello
	phaseFinish               // waiting for ClientFinish
	phaseOpen                 // transport keys established
	phaseStalled              // fault injection: ignore the client
)

// conn is one client websocket. Only the read goroutine (run) touches the
// read-side fields; writes from any goroutine go through wmu so every frame
// is encrypted with the next counter and sent as one websocket message.
type conn struct {
	srv *Server
	ws  *websocket.Conn

	// Read side, owned by run.
	phase      phase
	headerSeen bool
	partial    []byte
	hs         *handshake
	rkey       cipher.AEAD
	rn         uint32
	static     [32]byte // client Noise static key, set by the handshake
	hsTimer    *time.Timer

	// Write side.
	wmu  sync.Mutex
	wkey cipher.AEAD
	wn   uint32

	// Guarded by srv.mu.
	dev     *device       // logged-in device, nil before login or once replaced
	reg     *registration // pairing state of a registration connection
	gone    bool          // the connection ended
	closing bool          // a disconnect was sent; the socket closes soon
}

func (s *Server) wsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws/chat", s.handleWS)
	return mux
}

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	if s.faults.Load().RefuseConnections {
		http.Error(w, "connection refused by fault injection", http.StatusServiceUnavailable)
		return
	}
	// whatsmeow sends Origin: https://web.whatsapp.com, which never matches
	// the loopback host, so the origin check is skipped.
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		s.log.Debug("websocket accept failed", zap.Error(err))
		return
	}
	c := &conn{srv: s, ws: ws}
	if !s.trackConn(c) {
		_ = ws.CloseNow()
		return
	}
	defer s.untrackConn(c)
	c.run(s.ctx)
}

// run is the connection's only long-lived goroutine: it reads websocket
// messages, splits them into frames and handles each frame in order.
func (c *conn) run(ctx context.Context) {
	defer func() {
		// Last line of defence: a bug triggered by one client must not take
		// the simulator down. Malformed input is rejected before this.
		if r := recover(); r != nil {
			c.srv.log.Error("connection handler panicked", zap.Any("panic", r), zap.Stack("stack"))
		}
	}()
	c.ws.SetReadLimit(int64(maxFrameSize + frameLengthSize + len(waConnHeader)))
	c.hsTimer = time.AfterFunc(handshakeTimeout, c.closeNow)
	defer c.hsTimer.Stop()
	for {
		typ, msg, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageBinary {
			continue
		}
		if err := c.feed(msg); err != nil {
			c.srv.log.Debug("closing connection after bad input", zap.Error(err))
			return
		}
	}
}

// feed splits a websocket message into frames. whatsmeow sends one frame per
// message, but partial and batched frames are accepted too.
func (c *conn) feed(msg []byte) error {
	if len(c.partial) > 0 {
		msg = append(c.partial, msg...)
		c.partial = nil
	}
	if !c.headerSeen {
		n := min(len(msg), len(waConnHeader))
		if !bytes.Equal(msg[:n], waConnHeader[:n]) {
			return fmt.Errorf("%w: bad connection header", errMalformed)
		}
		if n < len(waConnHeader) {
			c.partial = bytes.Clone(msg)
			return nil
		}
		c.headerSeen = true
		msg = msg[len(waConnHeader):]
	}
	for len(msg) >= frameLengthSize {
		n := int(msg[0])<<16 | int(msg[1])<<8 | int(msg[2])
		if n > maxFrameSize {
			return fmt.Errorf("%w: frame of %d bytes", errMalformed, n)
		}
		if len(msg)-frameLengthSize < n {
			break
		}
		frame := msg[frameLengthSize : frameLengthSize+n]
		msg = msg[frameLengthSize+n:]
		if err := c.handleFrame(frame); err != nil {
			return err
		}
	}
	if len(msg) > 0 {
		c.partial = append([]byte(nil), msg...)
	}
	return nil
}

func (c *conn) handleFrame(frame []byte) error {
	switch c.phase {
	case phaseHello:
		return c.onClientHello(frame)
	case phaseFinish:
		return c.onClientFinish(frame)
	case phaseStalled:
		return nil
	default:
		return c.onEncryptedFrame(frame)
	}
}

func (c *conn) onEncryptedFrame(frame []byte) error {
	var iv [12]byte
	binary.BigEndian.PutUint32(iv[8:], c.rn)
	c.rn++
	plain, err := c.rkey.Open(frame[:0], iv[:], frame, nil)
	if err != nil || len(plain) == 0 {
		return fmt.Errorf("%w: undecryptable frame", errMalformed)
	}
	data, err := waBinary.Unpack(plain)
	if err != nil {
		return fmt.Errorf("%w: unpack: %w", errMalformed, err)
	}
	node, err := waBinary.Unmarshal(data)
	if err != nil {
		return fmt.Errorf("%w: unmarshal: %w", errMalformed, err)
	}
	c.srv.handleNode(c, node)
	return nil
}

// sendRaw writes one unencrypted handshake frame.
func (c *conn) sendRaw(payload []byte) error {
	frame := make([]byte, frameLengthSize, frameLengthSize+len(payload))
	frame = append(frame, payload...)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(frame)
}

// sendNode encrypts a node into one frame and writes it as one websocket
// message (a frame split across messages corrupts whatsmeow's stream).
func (c *conn) sendNode(n waBinary.Node) error {
	data, err := waBinary.Marshal(n)
	if err != nil {
		return fmt.Errorf("wasim: marshal node: %w", err)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.wkey == nil {
		return fmt.Errorf("wasim: send before handshake: %w", errMalformed)
	}
	var iv [12]byte
	binary.BigEndian.PutUint32(iv[8:], c.wn)
	c.wn++
	frame := make([]byte, frameLengthSize, frameLengthSize+len(data)+c.wkey.Overhead())
	frame = c.wkey.Seal(frame, iv[:], data, nil)
	return c.writeLocked(frame)
}

func (c *conn) writeLocked(frame []byte) error {
	n := len(frame) - frameLengthSize
	if n >= 1<<24 {
		return fmt.Errorf("wasim: frame of %d bytes too large", n)
	}
	frame[0], frame[1], frame[2] = byte(n>>16), byte(n>>8), byte(n)
	ctx, cancel := context.WithTimeout(c.srv.ctx, writeTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageBinary, frame); err != nil {
		return fmt.Errorf("wasim: write: %w", err)
	}
	return nil
}

// reply sends an IQ answer, late if a reply delay is injected.
func (c *conn) reply(n waBinary.Node) {
	if d := c.srv.replyDelay(); d > 0 {
		time.AfterFunc(d, func() { c.sendQuiet(n) })
		return
	}
	c.sendQuiet(n)
}

// sendQuiet sends a node whose loss only matters to a connection that is
// going away anyway; the read loop notices the broken socket.
func (c *conn) sendQuiet(n waBinary.Node) {
	if err := c.sendNode(n); err != nil {
		c.srv.log.Debug("send failed", zap.String("tag", n.Tag), zap.Error(err))
	}
}

// sendThenClose sends a node and closes the socket after delay, so the client
// handles the node before it sees the close (spec §8, the race).
func (c *conn) sendThenClose(n waBinary.Node, delay time.Duration) {
	c.sendQuiet(n)
	c.closeAfter(delay)
}

func (c *conn) closeAfter(delay time.Duration) {
	time.AfterFunc(delay, c.closeNow)
}

func (c *conn) closeNow() {
	_ = c.ws.CloseNow()
}

// untrackConn forgets a finished connection and everything pending on it.
func (s *Server) untrackConn(c *conn) {
	c.closeNow()
	s.mu.Lock()
	delete(s.conns, c)
	c.gone = true
	if c.dev != nil && c.dev.conn == c {
		c.dev.conn = nil
		s.stats.loggedIn.Add(-1)
	}
	c.dev = nil
	if c.reg != nil {
		s.dropRegistrationLocked(c)
	}
	s.mu.Unlock()
	s.stats.connections.Add(-1)
	s.wg.Done()
}

// device returns the logged-in device of c, or nil.
func (c *conn) device() *device {
	c.srv.mu.Lock()
	defer c.srv.mu.Unlock()
	return c.dev
}
