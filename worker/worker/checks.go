package worker

import (
	"github.com/switchboard-gw/switchboard/shared/ops"
)

// CheckShards names the worker's readiness check of its shard ownership.
const CheckShards = "shards"

// Checks are the worker's readiness checks: the bus, its shard ownership
// (started, not draining, heartbeat fresh) and the device database.
func (w *Worker) Checks() []ops.Check {
	return append(ops.BusChecks(w.nc, w.js, w.b),
		ops.Func(CheckShards, w.own.Ready),
		ops.DatabaseCheck(w.ds.DB()),
	)
}
