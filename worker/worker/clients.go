package worker

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/store"
	waLog "go.mau.fi/whatsmeow/util/log"

	"github.com/switchboard-gw/switchboard/shared/waclient"
	"github.com/switchboard-gw/switchboard/worker/sessions"
)

// dialTimeout bounds a websocket dial to WhatsApp.
const dialTimeout = 30 * time.Second

// clientFactory returns how the worker builds whatsmeow clients. Every
// client shares one *http.Client: websocket connections are hijacked, not
// pooled, so sharing costs nothing and saves a transport per session.
func clientFactory(ctx context.Context, simulator string) (sessions.ClientFactory, error) {
	if simulator != "" {
		// Installs the simulators' root key once per process; a second call
		// with the same simulators only fetches the dial settings. A list
		// spreads the devices over several simulator processes.
		pool, err := waclient.PointAtSimulators(ctx, simulator)
		if err != nil {
			return nil, err
		}
		// Simulator connections stay on loopback: a session's proxy is not
		// used against the simulator.
		return func(dev *store.Device, log waLog.Logger, _ string) (*whatsmeow.Client, error) {
			c := whatsmeow.NewClient(dev, log)
			pool.For(dev).Apply(c)
			return c, nil
		}, nil
	}
	shared := &http.Client{
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
		Timeout:   dialTimeout,
	}
	return func(dev *store.Device, log waLog.Logger, proxy string) (*whatsmeow.Client, error) {
		c := whatsmeow.NewClient(dev, log)
		if proxy == "" {
			c.SetPreLoginHTTPClient(shared)
			c.SetWebsocketHTTPClient(shared)
			return c, nil
		}
		// A proxied session gets its own transport (whatsmeow builds it),
		// for the websocket and media alike.
		if err := c.SetProxyAddress(proxy); err != nil {
			return nil, fmt.Errorf("worker: session proxy: %w", err)
		}
		return c, nil
	}, nil
}
