#!/usr/bin/env bash
# make demo: starts the standalone gateway with the built-in simulator in a
# scratch data dir, links a session through the simulated phone, stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d)
export SWITCHBOARD_DATA_DIR=$data
export SWITCHBOARD_ADMIN_KEY=${SWITCHBOARD_ADMIN_KEY:-demo-admin-key-0123456789}
export SWITCHBOARD_HTTP_ADDR=${SWITCHBOARD_HTTP_ADDR:-127.0.0.1:3000}
export SWITCHBOARD_LOG_LEVEL=${SWITCHBOARD_LOG_LEVEL:-warn}
# Webhook receivers you try with the demo usually listen on this machine:
# open the SSRF guard explicitly (never in production).
export SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=${SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE:-true}
./bin/switchboard --simulator &
gw=$!
trap 'kill -TERM $gw 2>/dev/null; wait $gw 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
  curl -fs -o /dev/null -H "Authorization: Bearer $SWITCHBOARD_ADMIN_KEY" "http://$SWITCHBOARD_HTTP_ADDR/api/v1/sessions" && break
  sleep 0.2
done
./bin/switchboard-demo --api "http://$SWITCHBOARD_HTTP_ADDR" --key "$SWITCHBOARD_ADMIN_KEY" \
  --sim "http://${SWITCHBOARD_SIM_CONTROL_ADDR:-127.0.0.1:3999}"
