#!/usr/bin/env bash
# Stops the local cluster started by scripts/cluster-up.sh (SIGTERM, so
# workers drain and hand their shards over), then removes its state unless
# KEEP=1.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=$PWD/.cluster
[ -d "$dir/pids" ] || exit 0
for order in api scheduler worker wasim nats; do
  for f in "$dir"/pids/$order-*.pid "$dir"/pids/$order.pid; do
    [ -f "$f" ] || continue
    kill -TERM "$(cat "$f")" 2>/dev/null
  done
  for f in "$dir"/pids/$order-*.pid "$dir"/pids/$order.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    rm -f "$f"
  done
done
[ "${KEEP:-0}" = 1 ] || rm -rf "$dir"
echo "cluster down"
