package worker

import "github.com/switchboard-gw/switchboard/shared/config"

// ConfigFrom is the worker part of the process configuration, the same for
// the switchboard-worker binary and the standalone gateway, so that both
// honour every variable a worker reads.
func ConfigFrom(c config.Config) Config {
	return Config{
		ID:             c.WorkerID,
		Shards:         c.Shards,
		Simulator:      c.WASimulator,
		ReconnectRate:  c.ReconnectRate,
		ReconnectBurst: c.ReconnectBurst,
	}
}
