// Package webhooks is the api's client of the webhook role: it asks the
// workers, over NATS request/reply (subject.WebhookControl), for a session's
// dead letters, to replay them and to send a test ping. The workers own the
// database; the api writes nothing there.
package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/switchboard-gw/switchboard/shared/subject"
	"github.com/switchboard-gw/switchboard/shared/webhookctl"
)

// ErrUnavailable: no worker answered (none running, NATS down, timeout).
var ErrUnavailable = errors.New("webhooks: no worker answered")

// RemoteError is an error answered by the worker.
type RemoteError struct{ Code, Message string }

func (e *RemoteError) Error() string { return "webhooks: " + e.Code + ": " + e.Message }

// Client sends control requests.
type Client struct{ nc *nats.Conn }

// New returns a client over nc.
func New(nc *nats.Conn) *Client { return &Client{nc: nc} }

// DeadLetters pages a session's dead letters.
func (c *Client) DeadLetters(ctx context.Context, tenant, session string, req webhookctl.ListRequest) (webhookctl.ListReply, error) {
	var r webhookctl.ListReply
	err := c.call(ctx, tenant, session, subject.WebhookOpDeadLetters, req, &r, &r.Error)
	return r, err
}

// Replay asks for dead letters to be re-sent.
func (c *Client) Replay(ctx context.Context, tenant, session string, req webhookctl.ReplayRequest) (webhookctl.ReplayReply, error) {
	var r webhookctl.ReplayReply
	err := c.call(ctx, tenant, session, subject.WebhookOpReplay, req, &r, &r.Error)
	return r, err
}

// Test sends a signed ping to a webhook of the session.
func (c *Client) Test(ctx context.Context, tenant, session string, req webhookctl.TestRequest) (webhookctl.TestReply, error) {
	var r webhookctl.TestReply
	err := c.call(ctx, tenant, session, subject.WebhookOpTest, req, &r, &r.Error)
	return r, err
}

func (c *Client) call(ctx context.Context, tenant, session, op string, req, reply any, remote **webhookctl.Error) error {
	raw, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("webhooks: %w", err)
	}
	msg, err := c.nc.RequestWithContext(ctx, subject.WebhookControl(tenant, session, op), raw)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err := json.Unmarshal(msg.Data, reply); err != nil {
		return fmt.Errorf("%w: malformed reply: %w", ErrUnavailable, err)
	}
	if *remote != nil {
		return &RemoteError{Code: (*remote).Code, Message: (*remote).Message}
	}
	return nil
}
