package worker

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/switchboard-gw/switchboard/shared/bus"
	"github.com/switchboard-gw/switchboard/shared/secretbox"

	"github.com/switchboard-gw/switchboard/shared/session"
	"github.com/switchboard-gw/switchboard/shared/shard"
	"github.com/switchboard-gw/switchboard/worker/pacer"
)

// DefaultOrphanGrace is Config.OrphanGrace's default.
const DefaultOrphanGrace = time.Minute

// Config configures a Worker.
type Config struct {
	// ID is the worker's stable identity (lease holder, state owner).
	ID string
	// Shards is the shard count N; it must match the command stream's.
	Shards int
	// Simulator is the control address of a WhatsApp simulator, or a
	// comma-separated list of simulators sharing one root key (each device
	// stays on one of them, chosen by its Noise key); "" means real
	// WhatsApp.
	Simulator string
	// ReconnectRate is how many connects per second the worker starts at
	// most: takeovers, restarts, reconnects (default pacer.DefaultRate, or
	// pacer.SimulatorRate with a Simulator).
	ReconnectRate float64
	// ReconnectBurst is how many of them may start at once after a quiet
	// spell (default pacer.DefaultBurst, or pacer.SimulatorBurst with a
	// Simulator).
	ReconnectBurst int
	// LivenessPeriod is how often, at most, State.LastKeepalive of a healthy
	// WORKING session goes unwritten (default session.LivenessPeriod; tests
	// shorten it).
	LivenessPeriod time.Duration
	// SendWait bounds how long a message waits for its session to be logged
	// in before it fails with timed_out (default sessions.DefaultSendWait).
	SendWait time.Duration
	// OrphanGrace is how long a device nobody links to must stay unlinked
	// before the start-up sweep deletes it (default DefaultOrphanGrace): a
	// device being paired on another worker is saved a moment before it is
	// linked. Negative disables the sweep.
	OrphanGrace time.Duration
	// Box opens sealed secret fields of session records (the proxy); nil
	// means no master key is configured.
	Box *secretbox.Box
	// Ownership, when set, holds the wa_shard_leases and wa_workers buckets
	// on a NATS connection of the worker's shard ownership alone: lease
	// renewals and heartbeats then never queue behind the state and event
	// traffic of the worker's sessions on one socket. Default: the buckets
	// given to New.
	Ownership *bus.Buckets
	// Registry receives the worker's metrics (switchboard_worker_*); nil
	// keeps them in a registry of the worker's own that nothing serves.
	Registry prometheus.Registerer
}

func (c *Config) defaults() {
	if c.Shards == 0 {
		c.Shards = shard.DefaultCount
	}
	rate, burst := pacer.DefaultRate, pacer.DefaultBurst
	if c.Simulator != "" {
		rate, burst = pacer.SimulatorRate, pacer.SimulatorBurst
	}
	if c.ReconnectRate == 0 {
		c.ReconnectRate = rate
	}
	if c.ReconnectBurst == 0 {
		c.ReconnectBurst = burst
	}
	if c.OrphanGrace == 0 {
		c.OrphanGrace = DefaultOrphanGrace
	}
	if c.LivenessPeriod == 0 {
		c.LivenessPeriod = session.LivenessPeriod
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
}

// Validate reports invalid values (after defaults).
func (c Config) Validate() error {
	if c.ID == "" {
		return errors.New("worker: ID is required")
	}
	if c.Shards < 1 || c.Shards > 4096 {
		return fmt.Errorf("worker: shards %d out of range 1..4096", c.Shards)
	}
	if c.ReconnectRate < 0 || c.ReconnectBurst < 0 {
		return errors.New("worker: reconnect rate and burst must not be negative")
	}
	if c.LivenessPeriod < 3*time.Millisecond {
		return errors.New("worker: liveness period too short")
	}
	return nil
}
