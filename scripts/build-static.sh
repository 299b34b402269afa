#!/usr/bin/env sh
# Builds every Switchboard binary the way the container image ships them:
# static (CGO_ENABLED=0; modernc SQLite is pure Go), -trimpath, stripped.
# The Dockerfile runs this script, and so does the image test
# (deployments/packaging), so the two cannot drift apart.
#
#   scripts/build-static.sh OUTDIR
set -eu
out=${1:?usage: build-static.sh OUTDIR}
cd "$(dirname "$0")/.."
mkdir -p "$out"
out=$(cd "$out" && pwd)
export CGO_ENABLED=0
build() { # module, package, binary
  (cd "$1" && go build -trimpath -ldflags "-s -w" -o "$out/$3" "$2")
}
build deployments ./cmd/switchboard switchboard
build deployments ./cmd/switchboard-probe switchboard-probe
build api ./cmd/switchboard-api switchboard-api
build worker ./cmd/switchboard-worker switchboard-worker
build scheduler ./cmd/switchboard-scheduler switchboard-scheduler
build shared ./cmd/wasim wasim
echo "built into $out"
