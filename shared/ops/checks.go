package ops

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/subject"
)

// Names of the shared checks, as they appear in Report.
const (
	CheckNATS     = "nats"
	CheckStreams  = "streams"
	CheckBuckets  = "buckets"
	CheckDatabase = "database"
)

// NATSCheck passes while nc is connected.
func NATSCheck(nc *nats.Conn) Check {
	return Func(CheckNATS, func() error { return connected(nc) })
}

// StreamsCheck passes when every named stream answers an info request.
func StreamsCheck(js jetstream.JetStream, names ...string) Check {
	return Check{Name: CheckStreams, Run: func(ctx context.Context) error {
		// Requests made while disconnected wait for the reconnect: fail at
		// once instead, the nats check says why.
		if err := connected(js.Conn()); err != nil {
			return err
		}
		for _, name := range names {
			if _, err := js.Stream(ctx, name); err != nil {
				return fmt.Errorf("stream %s: %w", name, err)
			}
		}
		return nil
	}}
}

// BucketsCheck passes when every KV bucket answers a status request.
func BucketsCheck(js jetstream.JetStream, kvs ...jetstream.KeyValue) Check {
	return Check{Name: CheckBuckets, Run: func(ctx context.Context) error {
		if err := connected(js.Conn()); err != nil {
			return err
		}
		for _, kv := range kvs {
			if kv == nil {
				continue
			}
			if _, err := kv.Status(ctx); err != nil {
				return fmt.Errorf("bucket %s: %w", kv.Bucket(), err)
			}
		}
		return nil
	}}
}

// BusChecks are the checks of every process on the bus: the connection,
// both streams and every bucket of b.
func BusChecks(nc *nats.Conn, js jetstream.JetStream, b *bus.Buckets) []Check {
	return []Check{
		NATSCheck(nc),
		StreamsCheck(js, subject.CommandStream, subject.EventStream),
		BucketsCheck(js, b.Sessions, b.Pairing, b.Leases, b.Workers, b.Sched),
	}
}

// Pinger is a database handle (*sql.DB).
type Pinger interface {
	PingContext(ctx context.Context) error
}

// DatabaseCheck passes while db answers a ping.
func DatabaseCheck(db Pinger) Check {
	return Check{Name: CheckDatabase, Run: func(ctx context.Context) error {
		if err := db.PingContext(ctx); err != nil {
			return fmt.Errorf("database ping: %w", err)
		}
		return nil
	}}
}

var errNoConn = errors.New("no nats connection")

func connected(nc *nats.Conn) error {
	if nc == nil {
		return errNoConn
	}
	if st := nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("nats connection is %s", st)
	}
	return nil
}
