#!/usr/bin/env bash
# make bench-scale: Switchboard measured from outside. Builds the load client
# and runs it against separate processes (bin/switchboard or a local cluster,
# and bin/wasim); everything it prints comes from /proc and the simulator's
# /stats. Variables: SCALE_N (10000), SCALE_C (64), SCALE_IDLE (300s),
# SCALE_WORKERS (1 = standalone; 2+ = nats-server + api + workers + Postgres,
# and one worker is killed with kill -9), SCALE_KEEP=dir keeps logs and data (and
# the cluster run's Postgres database, dropped otherwise) and the simulator's
# state; SCALE_REUSE=1 reuses a kept standalone run's sessions instead of
# linking (a stop while they reconnect, then idle window and restart).
# SWITCHBOARD_* variables in the environment reach the gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd deployments && go build -o ../bin/switchboard-loadgen ./cmd/switchboard-loadgen)
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
exec ./bin/switchboard-loadgen
