package sessions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/switchboard-gw/switchboard/shared/devstore/walog"
)

// signals let the mailbox goroutine wait, while applying a command, for a
// client event that is still queued behind it. They belong to one client
// generation.
type signals struct {
	gen   uint64
	qr    chan struct{}
	login chan struct{}
}

// fire closes ch of generation gen once.
func (s *Session) fire(gen uint64, pick func(*signals) chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sig.gen != gen {
		return
	}
	ch := pick(&s.sig)
	select {
	case <-ch:
	default:
		close(ch)
	}
}

func (s *Session) awaitSignal(pick func(*signals) chan struct{}, d time.Duration) error {
	s.mu.Lock()
	ch := pick(&s.sig)
	s.mu.Unlock()
	if ch == nil {
		return errors.New("no client")
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-t.C:
		return errors.New("timed out")
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

func qrSignal(g *signals) chan struct{}    { return g.qr }
func loginSignal(g *signals) chan struct{} { return g.login }

// relevant reports whether the actor handles a client event; the rest
// (receipts, presence, history…) never enter the mailbox.
func relevant(evt any) bool {
	switch evt.(type) {
	case *events.QR, *events.PairSuccess, *events.PairError, *events.Connected, *events.Disconnected,
		*events.LoggedOut, *events.StreamReplaced, *events.TemporaryBan, *events.ClientOutdated,
		*events.ConnectFailure, *events.CATRefreshError, *events.KeepAliveTimeout,
		*events.KeepAliveRestored, *events.PushNameSetting, *pushNameSynced, *events.Message, *events.Receipt:
		return true
	}
	return false
}

// errDeviceStore marks a connect that failed because the device store could
// not be read; it is retried like a dropped socket.
var errDeviceStore = errors.New("load device")

// loadDevice returns the session's linked device, or nil.
func (s *Session) loadDevice() (*store.Device, error) {
	ctx, cancel := s.opCtx()
	defer cancel()
	dev, err := s.deps.Devices.DeviceFor(ctx, s.tenant, s.id)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errDeviceStore, err)
	}
	return dev, nil
}

// newClient replaces the client with a fresh one for dev. It fails only on
// an unusable session proxy: such a session never connects directly.
func (s *Session) newClient(dev *store.Device) error {
	s.dropClient()
	proxy, err := s.deps.Codec.OpenProxy(s.snap.Record)
	if err != nil {
		return err
	}
	cli, err := s.deps.NewClient(dev, walog.New(s.logger().Named("whatsmeow")), proxy)
	if err != nil {
		return err
	}
	// Reconnects go through the worker's pacer (Disconnected → a paced
	// resume), never straight from whatsmeow.
	cli.EnableAutoReconnect = false
	s.bumpGen()
	gen := s.gen
	s.mu.Lock()
	s.sig = signals{gen: gen, qr: make(chan struct{}), login: make(chan struct{})}
	s.current = cli
	s.notifyChanged()
	s.mu.Unlock()
	cli.AddEventHandler(func(evt any) {
		switch evt.(type) {
		case *events.QR:
			s.fire(gen, qrSignal)
		case *events.Connected:
			s.fire(gen, loginSignal)
			s.mu.Lock()
			s.notifyChanged()
			s.mu.Unlock()
		}
		evt = pushNameEvent(cli, evt)
		if relevant(evt) {
			s.enqueue(item{kind: kindEvent, gen: gen, evt: evt})
		}
	})
	s.client = cli
	if dev.ID == nil {
		s.mode = pairQR
	} else {
		s.mode = pairNone
	}
	return nil
}

// connect makes sure a client exists and is connected. The client's context
// lives until the client is dropped or reconnects: whatsmeow runs its
// keepalive under it. A linked client that fails to connect is kept, so a
// retry needs no database read; a registration client is dropped.
func (s *Session) connect() error {
	if s.client != nil && s.client.IsConnected() {
		return nil
	}
	if err := s.connectSlot(); err != nil {
		return err
	}
	defer s.releaseSlot()
	if s.client == nil {
		dev := s.takePreloaded()
		if dev == nil {
			var err error
			if dev, err = s.loadDevice(); err != nil {
				return err
			}
		}
		if dev == nil {
			dev = s.deps.Devices.NewDevice() // registration
		}
		if err := s.newClient(dev); err != nil {
			s.deps.Metrics.connected(err)
			return fmt.Errorf("connect: %w", err)
		}
	}
	if s.clientStop != nil {
		s.clientStop() // the previous socket of this client is gone
	}
	var ctx context.Context
	ctx, s.clientStop = context.WithCancel(s.ctx)
	s.lastConnect = time.Now()
	err := s.client.ConnectContext(ctx)
	if errors.Is(err, whatsmeow.ErrAlreadyConnected) {
		err = nil
	}
	s.deps.Metrics.connected(err)
	if err != nil {
		if s.linked() {
			s.clientStop()
			s.clientStop = nil
		} else {
			s.dropClient()
		}
		return fmt.Errorf("connect: %w", err)
	}
	return nil
}

// connectSlot waits for a slot of the worker's cap on connects in flight
// (none without a cap), or until the actor closes.
func (s *Session) connectSlot() error {
	if s.deps.Connects != nil {
		s.deps.Connects.Add(1)
	}
	if s.deps.Connecting == nil {
		return nil
	}
	select {
	case s.deps.Connecting <- struct{}{}:
		return nil
	case <-s.ctx.Done():
		if s.deps.Connects != nil {
			s.deps.Connects.Add(-1)
		}
		return fmt.Errorf("connect: %w", ErrClosed)
	}
}

func (s *Session) releaseSlot() {
	if s.deps.Connects != nil {
		s.deps.Connects.Add(-1)
	}
	if s.deps.Connecting != nil {
		<-s.deps.Connecting
	}
}

// bumpGen starts a new client generation: events, timers and paced
// connects of the previous one are ignored from now on.
func (s *Session) bumpGen() {
	s.gen++
	s.genNow.Store(s.gen)
}

// linked reports whether the current client has a logged-in device.
func (s *Session) linked() bool {
	return s.client != nil && s.client.Store.ID != nil
}

// dropClient disconnects and forgets the client (never logging out); events
// still queued from it are ignored by generation.
func (s *Session) dropClient() {
	s.stopTimer()
	s.stopRetry()
	s.mode = pairNone
	if s.client == nil {
		return
	}
	cli := s.client
	s.client = nil
	s.bumpGen()
	s.mu.Lock()
	s.sig = signals{gen: s.gen}
	s.current = nil
	s.notifyChanged()
	s.mu.Unlock()
	cli.RemoveEventHandlers()
	cli.Disconnect()
	if s.clientStop != nil {
		s.clientStop()
		s.clientStop = nil
	}
}

// startTimer arms the pairing timeout of the current client.
func (s *Session) startTimer(d time.Duration) {
	s.stopTimer()
	gen := s.gen
	s.timer = time.AfterFunc(d, func() { s.enqueue(item{kind: kindTimer, gen: gen}) })
}

func (s *Session) stopTimer() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}

// notifyChanged wakes whoever waits on the current client; s.mu is held.
func (s *Session) notifyChanged() {
	close(s.changed)
	s.changed = make(chan struct{})
}
