package httpapi

import "github.com/switchboard-gw/switchboard/shared/config"

// ConfigFrom is the api part of the process configuration for the
// switchboard-api binary (listening on ClusterHTTPAddr unless set); the
// standalone gateway uses FromEnv with the loopback default.
func ConfigFrom(c config.Config) (Config, error) {
	return FromEnv(c, config.ClusterHTTPAddr)
}
