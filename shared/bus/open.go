package bus

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Conn is a NATS connection with JetStream and the declared buckets: what
// every process needs from the bus.
type Conn struct {
	NC      *nats.Conn
	JS      jetstream.JetStream
	Buckets *Buckets
}

// Attach declares the topology on an open connection.
func Attach(ctx context.Context, nc *nats.Conn, cfg Config) (*Conn, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("bus: jetstream: %w", err)
	}
	b, err := Ensure(ctx, js, cfg)
	if err != nil {
		return nil, err
	}
	return &Conn{NC: nc, JS: js, Buckets: b}, nil
}

// Open connects to url as name and declares the topology. Close the
// returned Conn when done.
func Open(ctx context.Context, url, name string, cfg Config, opts ...nats.Option) (*Conn, error) {
	nc, err := Connect(url, name, opts...)
	if err != nil {
		return nil, err
	}
	c, err := Attach(ctx, nc, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// Close closes the connection.
func (c *Conn) Close() { c.NC.Close() }
