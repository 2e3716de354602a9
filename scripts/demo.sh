#!/usr/bin/env bash
# Builds scorestream in Release and runs the flagship example: a drifting stream of wine records
# scored by models that are retrained and replaced while the stream flows.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${BUILD_DIR:-build-release}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSCORESTREAM_BUILD_TESTS=OFF -DSCORESTREAM_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" -j"${JOBS:-$(nproc)}" --target wine_serving
exec "$build/examples/wine_serving/wine_serving" "$@"
