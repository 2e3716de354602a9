#!/usr/bin/env bash
# Builds scorestream and runs its whole test suite: installs missing Debian packages, configures
# (warnings are errors), builds, runs ctest. Usage: scripts/test.sh [--asan] [--tsan] [--sanitize]
#   --asan       then also: the whole suite built with address+undefined sanitizers
#   --tsan       then also: the concurrency tests (stream, serve, query) built with the thread sanitizer
#   --sanitize   both
# Environment: BUILD_DIR (default build), BUILD_TYPE (default RelWithDebInfo), JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."

asan=0
tsan=0
for arg in "$@"; do
  case "$arg" in
    --asan) asan=1 ;;
    --tsan) tsan=1 ;;
    --sanitize) asan=1; tsan=1 ;;
    *) echo "scripts/test.sh: unknown argument '$arg' (known: --asan, --tsan, --sanitize)" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh

jobs=${JOBS:-$(nproc)}
build=${BUILD_DIR:-build}

configure() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" -DSCORESTREAM_WARNINGS_AS_ERRORS=ON "$@"
}

echo "== build and test ($build)"
configure "$build"
cmake --build "$build" -j"$jobs"
ctest --test-dir "$build" --output-on-failure -j"$jobs"

if [ "$asan" = 1 ]; then
  echo "== address + undefined sanitizers, whole suite ($build-asan)"
  configure "$build-asan" -DSCORESTREAM_SANITIZE=address,undefined -DSCORESTREAM_BUILD_BENCHMARKS=OFF \
    -DSCORESTREAM_CONSUMER_TESTS=OFF
  cmake --build "$build-asan" -j"$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$build-asan" --output-on-failure -j"$jobs"
fi

if [ "$tsan" = 1 ]; then
  echo "== thread sanitizer, concurrency tests ($build-tsan)"
  configure "$build-tsan" -DSCORESTREAM_SANITIZE=thread -DSCORESTREAM_BUILD_BENCHMARKS=OFF \
    -DSCORESTREAM_BUILD_EXAMPLES=OFF -DSCORESTREAM_CONSUMER_TESTS=OFF
  targets=()
  available=$(cmake --build "$build-tsan" --target help)  # captured: grep -q on a pipe breaks it
  for t in scorestream_stream_tests scorestream_serve_tests scorestream_query_tests; do
    if grep -qx "\.\.\. $t" <<<"$available"; then targets+=("$t"); fi
  done
  cmake --build "$build-tsan" -j"$jobs" --target "${targets[@]}"
  failed=0
  for t in "${targets[@]}"; do
    exe=$(find "$build-tsan/tests" -name "$t" -type f -perm -u+x | head -n 1)
    echo "-- $t (thread sanitizer)"
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" "$exe" || failed=1
  done
  [ "$failed" = 0 ] || { echo "thread sanitizer: failures above" >&2; exit 1; }
fi
echo "scripts/test.sh: all passed"
