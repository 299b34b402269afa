#!/usr/bin/env bash
# Starts a local Switchboard cluster on loopback: 3 nats-server nodes (built
# from the pinned Go module; streams and buckets with 3 replicas), Postgres,
# the WhatsApp simulator, 3 workers, 2 api processes and 2 schedulers.
# State, logs and pids live in .cluster/; scripts/cluster-down.sh stops it.
#
#   api:        http://127.0.0.1:13000 and http://127.0.0.1:13001
#   simulator:  control http://127.0.0.1:13999, websocket 127.0.0.1:13998
#   nats:       nats://127.0.0.1:14222,14223,14224
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=$root/.cluster
mkdir -p "$dir/logs" "$dir/pids"
make -s build

: "${SWITCHBOARD_ADMIN_KEY:=cluster-admin-key}"
: "${SWITCHBOARD_SHARDS:=64}"
: "${SWITCHBOARD_HEALTHCHECK_INTERVAL:=1m}"
db=${CLUSTER_DB:-switchboard_cluster}
export SWITCHBOARD_ADMIN_KEY SWITCHBOARD_SHARDS SWITCHBOARD_HEALTHCHECK_INTERVAL
export SWITCHBOARD_NATS_URL=nats://127.0.0.1:14222,nats://127.0.0.1:14223,nats://127.0.0.1:14224
export SWITCHBOARD_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db?sslmode=disable
export SWITCHBOARD_WA_SIMULATOR=127.0.0.1:13999
export SWITCHBOARD_REPLICAS=3

start() { # name, command...
  local name=$1; shift
  "$@" >"$dir/logs/$name.log" 2>&1 &
  echo $! >"$dir/pids/$name.pid"
}

# Postgres: start it when down, create the cluster database once.
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 ||
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"

for i in 1 2 3; do
  start "nats-$i" "$root/bin/nats-server" -n "n$i" -a 127.0.0.1 -p $((14221 + i)) -js -sd "$dir/nats-$i" \
    --cluster_name switchboard --cluster "nats://127.0.0.1:$((16221 + i))" \
    --routes nats://127.0.0.1:16222,nats://127.0.0.1:16223,nats://127.0.0.1:16224
done
for _ in $(seq 1 100); do
  (echo >/dev/tcp/127.0.0.1/14222) 2>/dev/null && break
  sleep 0.1
done

start wasim "$root/bin/wasim" --ws-addr 127.0.0.1:13998 --control-addr 127.0.0.1:13999
for i in 1 2 3; do
  SWITCHBOARD_WORKER_ID=worker-$i SWITCHBOARD_METRICS_ADDR=127.0.0.1:$((19089 + i)) \
    start "worker-$i" "$root/bin/switchboard-worker"
done
for i in 1 2; do
  SWITCHBOARD_HTTP_ADDR=127.0.0.1:$((12999 + i)) start "api-$i" "$root/bin/switchboard-api"
  SWITCHBOARD_WORKER_ID=scheduler-$i SWITCHBOARD_METRICS_ADDR=127.0.0.1:$((19099 + i)) \
    start "scheduler-$i" "$root/bin/switchboard-scheduler"
done

for _ in $(seq 1 150); do
  curl -fs -o /dev/null -H "Authorization: Bearer $SWITCHBOARD_ADMIN_KEY" http://127.0.0.1:13000/api/v1/sessions && break
  sleep 0.2
done
echo "cluster up: api http://127.0.0.1:13000 (and :13001), simulator control http://127.0.0.1:13999, admin key $SWITCHBOARD_ADMIN_KEY"
echo "metrics and probes: workers http://127.0.0.1:19090-19092, schedulers http://127.0.0.1:19100-19101 (/metrics, /readyz)"
echo "logs in $dir/logs; stop with scripts/cluster-down.sh"
