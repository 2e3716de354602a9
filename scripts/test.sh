#!/usr/bin/env bash
# Builds scorestream and runs its whole test suite: installs missing Debian packages, configures
# (warnings are errors), builds, runs ctest. Usage: scripts/test.sh [--sanitize]
#   --sanitize   also build and test with address+undefined sanitizers (slower)
# Environment: BUILD_DIR (default build), BUILD_TYPE (default RelWithDebInfo), JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=0
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    *) echo "scripts/test.sh: unknown argument '$arg' (known: --sanitize)" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh

jobs=${JOBS:-$(nproc)}
build=${BUILD_DIR:-build}

run_suite() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" -DSCORESTREAM_WARNINGS_AS_ERRORS=ON "$@"
  cmake --build "$dir" -j"$jobs"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs"
}

run_suite "$build"
if [ "$sanitize" = 1 ]; then
  run_suite "$build-asan" -DSCORESTREAM_SANITIZE=address,undefined -DSCORESTREAM_BUILD_BENCHMARKS=OFF
fi
