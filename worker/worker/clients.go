package worker

import (
	"context"
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
		// Installs the simulator's root key once per process; a second call
		// with the same simulator only fetches the dial settings.
		target, err := waclient.PointAtSimulator(ctx, simulator)
		if err != nil {
			return nil, err
		}
		return func(dev *store.Device, log waLog.Logger) *whatsmeow.Client {
			c := whatsmeow.NewClient(dev, log)
			target.Apply(c)
			return c
		}, nil
	}
	shared := &http.Client{
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
		Timeout:   dialTimeout,
	}
	return func(dev *store.Device, log waLog.Logger) *whatsmeow.Client {
		c := whatsmeow.NewClient(dev, log)
		c.SetPreLoginHTTPClient(shared)
		c.SetWebsocketHTTPClient(shared)
		return c
	}, nil
}
