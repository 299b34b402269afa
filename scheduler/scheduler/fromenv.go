package scheduler

import "github.com/switchboard-gw/switchboard/shared/config"

// ConfigFrom is the scheduler part of the process configuration, the same
// for the switchboard-scheduler binary and the standalone gateway.
func ConfigFrom(c config.Config) Config {
	return Config{ID: c.WorkerID, Interval: c.HealthcheckInterval, Shards: c.Shards}
}
