package standalone

import (
	"context"

	"github.com/nats-io/nats.go"

	"github.com/switchboard-gw/switchboard/shared/bus"
)

// Connection names of the roles, as the NATS server lists them.
const (
	connWorker    = "switchboard-worker"
	connOwnership = "switchboard-ownership"
	connWebhook   = "switchboard-webhook"
	connScheduler = "switchboard-scheduler"
	connAPI       = "switchboard-api"
)

// roleConns are the standalone's NATS connections, one per role, as in a
// cluster. On one connection every role's requests and replies share one
// socket and one read loop: with 10,000 sessions the worker's state writes
// and events, the api's watches and the webhook consumer queue in front of
// each other, and a lease renewal waits behind all of them until it is
// fenced. Shard ownership (lease renewals, heartbeats and their watches)
// has a connection of its own so it never waits behind session traffic.
type roleConns struct {
	worker, ownership, webhook, scheduler, api *bus.Conn
}

// openConns connects every role, to the embedded server or to url.
func (g *Gateway) openConns(ctx context.Context, url string, cfg bus.Config) (*roleConns, error) {
	c := &roleConns{}
	for _, r := range []struct {
		dst  **bus.Conn
		name string
	}{
		{&c.ownership, connOwnership}, {&c.worker, connWorker}, {&c.webhook, connWebhook},
		{&c.scheduler, connScheduler}, {&c.api, connAPI},
	} {
		var (
			nc  *nats.Conn
			err error
		)
		if url == "" {
			nc, err = g.ns.Connect(nats.Name(r.name), bus.ErrorLog(g.log))
		} else {
			nc, err = bus.Connect(url, r.name, bus.ErrorLog(g.log))
		}
		if err != nil {
			c.close()
			return nil, err
		}
		conn, err := bus.Attach(ctx, nc, cfg)
		if err != nil {
			nc.Close()
			c.close()
			return nil, err
		}
		*r.dst = conn
	}
	return c, nil
}

// close closes every open connection.
func (c *roleConns) close() {
	for _, conn := range []*bus.Conn{c.api, c.scheduler, c.webhook, c.worker, c.ownership} {
		if conn != nil {
			conn.Close()
		}
	}
}
