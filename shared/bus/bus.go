// Package bus connects to NATS and declares Switchboard's JetStream streams
// and KV buckets. Every process calls Ensure; it is idempotent.
package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-gw/switchboard/shared/subject"
)

// Timing of the ownership protocol. Leases and worker heartbeats expire after
// LeaseTTL without renewal.
const (
	LeaseTTL     = 10 * time.Second
	PairingTTL   = 5 * time.Minute
	DuplicateWin = 2 * time.Minute
	// DefaultEventRetention is how long WA_EVT keeps events unless
	// Config.EventRetention says otherwise (SWITCHBOARD_EVENT_RETENTION).
	// Events carry message text, so the default is short.
	DefaultEventRetention = 24 * time.Hour
	// MessageTTL is how long a message record (status, no text) stays in
	// wa_messages; a text still there that long is dropped with it.
	MessageTTL = 7 * 24 * time.Hour
	// TextMaxBytes bounds the memory the texts of undelivered messages take;
	// when it is full, new messages are refused (503) until some deliver.
	TextMaxBytes = 512 << 20
	// UsageMaxAge is how long usage reports stay in WA_USAGE.
	UsageMaxAge = 90 * 24 * time.Hour
	// MarkerTTL is how long a lease or heartbeat that expired stays as a
	// delete marker: watchers see the expiry at once (a crashed worker's
	// shards are taken over at LeaseTTL, not at the next rebalance).
	MarkerTTL = LeaseTTL
	// LivenessTTL drops the liveness record of a shard nobody writes any
	// more; the scheduler treats a record older than its keepalive timeout
	// as no record anyway.
	LivenessTTL   = 10 * time.Minute
	connectWait   = 10 * time.Second
	defaultShards = 64
	// declareWait bounds one attempt to declare a stream or bucket; Ensure
	// retries until its context ends, so a reply lost while a cluster
	// forms or elects a leader costs seconds, not the whole start timeout.
	declareWait  = 5 * time.Second
	declareRetry = 250 * time.Millisecond
)

// Config sets the topology.
type Config struct {
	// Shards is the shard count N; the command stream partitions into it.
	Shards int
	// Replicas is the stream and bucket replica count (1 standalone, 3 cluster).
	Replicas int
	// EventRetention is WA_EVT's MaxAge (default DefaultEventRetention).
	// Every process declares the stream, so all must use the same value:
	// they read it from the same variable.
	EventRetention time.Duration
}

func (c *Config) defaults() {
	if c.Shards <= 0 {
		c.Shards = defaultShards
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.EventRetention <= 0 {
		c.EventRetention = DefaultEventRetention
	}
}

// Connect dials NATS at url with reconnects forever; opts come last (an
// ErrorLog, say).
func Connect(url, name string, opts ...nats.Option) (*nats.Conn, error) {
	nc, err := nats.Connect(url, append([]nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.Timeout(connectWait),
		nats.RetryOnFailedConnect(true),
	}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("bus: connect: %w", err)
	}
	return nc, nil
}

// Buckets are the KV buckets every process uses.
type Buckets struct {
	Sessions jetstream.KeyValue
	Pairing  jetstream.KeyValue
	Leases   jetstream.KeyValue
	// Liveness holds the shard liveness records (session.ShardLiveness).
	Liveness jetstream.KeyValue
	Workers  jetstream.KeyValue
	Sched    jetstream.KeyValue
	// Messages holds outbound message records and texts until delivery.
	Messages jetstream.KeyValue
	// Keys holds managed api keys (hashes and metadata).
	Keys jetstream.KeyValue
}

// Ensure creates or updates the streams and buckets and returns the buckets.
func Ensure(ctx context.Context, js jetstream.JetStream, cfg Config) (*Buckets, error) {
	cfg.defaults()
	if err := declare(ctx, func(ctx context.Context) error {
		_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:       subject.CommandStream,
			Subjects:   []string{subject.CommandPublish},
			Retention:  jetstream.WorkQueuePolicy,
			Storage:    jetstream.FileStorage,
			Replicas:   cfg.Replicas,
			Duplicates: DuplicateWin,
			SubjectTransform: &jetstream.SubjectTransformConfig{
				Source:      subject.CommandPublish,
				Destination: subject.CommandTransformDest(cfg.Shards),
			},
		})
		return err
	}); err != nil {
		return nil, fmt.Errorf("bus: stream %s: %w", subject.CommandStream, err)
	}
	if err := declare(ctx, func(ctx context.Context) error {
		_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:       subject.EventStream,
			Subjects:   []string{subject.EventAll},
			Retention:  jetstream.LimitsPolicy,
			Storage:    jetstream.FileStorage,
			Replicas:   cfg.Replicas,
			Duplicates: DuplicateWin,
			MaxAge:     cfg.EventRetention,
		})
		return err
	}); err != nil {
		return nil, fmt.Errorf("bus: stream %s: %w", subject.EventStream, err)
	}
	if err := declare(ctx, func(ctx context.Context) error {
		_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:       subject.UsageStream,
			Subjects:   []string{subject.UsageAll},
			Retention:  jetstream.LimitsPolicy,
			Storage:    jetstream.FileStorage,
			Replicas:   cfg.Replicas,
			Duplicates: DuplicateWin,
			MaxAge:     UsageMaxAge,
		})
		return err
	}); err != nil {
		return nil, fmt.Errorf("bus: stream %s: %w", subject.UsageStream, err)
	}
	if err := declare(ctx, func(ctx context.Context) error {
		_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:      subject.TextStream,
			Subjects:  []string{subject.TextAll},
			Retention: jetstream.LimitsPolicy,
			// Memory: a text never reaches a disk, so nothing of it
			// outlives its deletion at delivery (with replicas, a worker's
			// crash or one NATS node's loss keeps it).
			Storage:    jetstream.MemoryStorage,
			Replicas:   cfg.Replicas,
			Duplicates: DuplicateWin,
			MaxAge:     MessageTTL,
			MaxBytes:   TextMaxBytes,
			Discard:    jetstream.DiscardNew,
			// One replica answers reads directly (no JetStream API round
			// of JSON); with more, a follower could answer before it has a
			// text just stored, so reads go through the leader.
			AllowDirect: cfg.Replicas <= 1,
		})
		return err
	}); err != nil {
		return nil, fmt.Errorf("bus: stream %s: %w", subject.TextStream, err)
	}
	var b Buckets
	for _, kv := range []struct {
		dst *jetstream.KeyValue
		cfg jetstream.KeyValueConfig
	}{
		{&b.Sessions, jetstream.KeyValueConfig{Bucket: subject.SessionsBucket, History: 1}},
		{&b.Pairing, jetstream.KeyValueConfig{Bucket: subject.PairingBucket, History: 1, TTL: PairingTTL}},
		{&b.Leases, jetstream.KeyValueConfig{Bucket: subject.LeasesBucket, History: 1, TTL: LeaseTTL, LimitMarkerTTL: MarkerTTL}},
		{&b.Liveness, jetstream.KeyValueConfig{Bucket: subject.LivenessBucket, History: 1, TTL: LivenessTTL}},
		{&b.Workers, jetstream.KeyValueConfig{Bucket: subject.WorkersBucket, History: 1, TTL: LeaseTTL, LimitMarkerTTL: MarkerTTL}},
		{&b.Sched, jetstream.KeyValueConfig{Bucket: subject.SchedulerBucket, History: 1, TTL: LeaseTTL}},
		{&b.Messages, jetstream.KeyValueConfig{Bucket: subject.MessagesBucket, History: 1, TTL: MessageTTL}},
		{&b.Keys, jetstream.KeyValueConfig{Bucket: subject.KeysBucket, History: 1}},
	} {
		c := kv.cfg
		c.Replicas = cfg.Replicas
		c.Storage = jetstream.FileStorage
		var h jetstream.KeyValue
		if err := declare(ctx, func(ctx context.Context) (err error) {
			h, err = js.CreateOrUpdateKeyValue(ctx, c)
			return err
		}); err != nil {
			return nil, fmt.Errorf("bus: bucket %s: %w", c.Bucket, err)
		}
		*kv.dst = h
	}
	return &b, nil
}

// errCodeNoPeers is JetStream's "no suitable peers for placement" (400):
// a replicated stream or bucket asked for while a peer is offline.
const errCodeNoPeers jetstream.ErrorCode = 10005

// ErrUnavailable marks NATS being unreachable; the api answers 503.
var ErrUnavailable = errors.New("bus: nats unavailable")

// declare runs one declaration with a per-attempt deadline, retrying until
// ctx ends unless the server refused it (a 4xx API error: a conflicting
// configuration does not get better; but "no suitable peers", which a
// cluster answers while a node's routes are still forming, does); it
// returns the last error.
func declare(ctx context.Context, fn func(context.Context) error) error {
	for {
		actx, cancel := context.WithTimeout(ctx, declareWait)
		err := fn(actx)
		cancel()
		var apiErr *jetstream.APIError
		if err == nil || ctx.Err() != nil || (errors.As(err, &apiErr) && apiErr.Code >= 400 && apiErr.Code < 500 &&
			apiErr.ErrorCode != errCodeNoPeers) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(declareRetry):
		}
	}
}
