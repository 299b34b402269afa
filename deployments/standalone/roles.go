package standalone

import (
	"github.com/switchboard-gw/switchboard/api/httpapi"
	"github.com/switchboard-gw/switchboard/scheduler/scheduler"
	"github.com/switchboard-gw/switchboard/shared/config"
	"github.com/switchboard-gw/switchboard/worker/worker"
)

// Roles are the configurations of the parts the standalone runs, built by
// the same functions the separate binaries use, so the standalone honours
// every variable they do.
type Roles struct {
	API       httpapi.Config
	Worker    worker.Config
	Scheduler scheduler.Config
}

// RoleConfigs builds the parts' configurations from the process
// configuration.
func RoleConfigs(c config.Config) (Roles, error) {
	// The same as the api binary's, but on loopback unless told otherwise.
	api, err := httpapi.FromEnv(c, config.StandaloneHTTPAddr)
	if err != nil {
		return Roles{}, err
	}
	return Roles{API: api, Worker: worker.ConfigFrom(c), Scheduler: scheduler.ConfigFrom(c)}, nil
}
