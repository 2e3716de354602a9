#!/usr/bin/env bash
# Builds scorestream and runs its whole test suite: installs missing Debian packages, configures
# (warnings are errors), builds, runs ctest. Usage: scripts/test.sh [--asan] [--tsan] [--sanitize]
#   --asan       then also: the whole suite built with address+undefined sanitizers (no benchmarks,
#                examples or consumer tests)
#   --tsan       then also: the concurrency tests (stream, serve, query) built with the thread sanitizer
#   --sanitize   both
# Environment: BUILD_DIR (default build), BUILD_TYPE (default RelWithDebInfo, built with -O2 -g1),
# JOBS (default nproc).
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

# Stage timing: wall seconds, and CPU seconds of the stage's child processes (user + system), which
# say how long the stage would take on idle cores even when the machine is busy.
stage_start=0
stage_cpu0=0
times_file=$(mktemp)
trap 'rm -f "$times_file"' EXIT
cpu_now=0
children_cpu() {  # sets cpu_now: CPU seconds of finished children so far (the `times` builtin)
  local _self _children
  times >"$times_file"  # in this shell: in a subshell, `times` would not see our children
  { read -r _self; read -r _children; } <"$times_file"
  cpu_now=$(awk -v t="$_children" 'BEGIN { split(t, a, " "); s = 0
    for (i in a) { m = a[i]; sub(/s$/, "", m); split(m, p, "m"); s += p[1] * 60 + p[2] }
    printf "%.1f", s }')
}
stage() {
  stage_start=$SECONDS
  children_cpu
  stage_cpu0=$cpu_now
  echo "== $*"
}
stage_done() {
  children_cpu
  echo "-- stage time: $1: $((SECONDS - stage_start)) s wall," \
    "$(awk -v a="$cpu_now" -v b="$stage_cpu0" 'BEGIN { printf "%.0f", a - b }') s CPU"
}

# configure <dir> <optimization and debug flags> [cmake args]: with the default build type the
# flags replace RelWithDebInfo's "-O2 -g". Line tables (-g1) are enough for backtraces and sanitizer
# reports and compile in about 70% of the CPU time of full debug information (-g), which is most of
# what CI spends. A BUILD_TYPE given in the environment is used as CMake defines it.
configure() {
  local dir=$1 flags=$2; shift 2
  local args=(-DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" -DSCORESTREAM_WARNINGS_AS_ERRORS=ON)
  if [ -z "${BUILD_TYPE:-}" ]; then args+=("-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$flags -DNDEBUG"); fi
  cmake -S . -B "$dir" "${args[@]}" "$@"
}

stage "build ($build)"
configure "$build" "-O2 -g1"
cmake --build "$build" -j"$jobs"
stage_done build
stage "test ($build)"
ctest --test-dir "$build" --output-on-failure -j"$jobs"
stage_done test

if [ "$asan" = 1 ]; then
  # The library and every test executable; benchmarks, examples (their code paths are the
  # library's, tested here; they run in the normal build) and the consumer tests (they rebuild the
  # library as another project would) are left out to keep CI short. Fuzzers are off by default.
  stage "address + undefined sanitizers: build ($build-asan)"
  # -O0: the whole suite is the biggest build of a CI run, and unoptimized code compiles in about
  # 70% of the CPU time of -O1; the tests mostly wait on I/O, so running slower costs little.
  configure "$build-asan" "-O0 -g1" -DSCORESTREAM_SANITIZE=address,undefined -DSCORESTREAM_BUILD_BENCHMARKS=OFF \
    -DSCORESTREAM_BUILD_EXAMPLES=OFF -DSCORESTREAM_CONSUMER_TESTS=OFF
  cmake --build "$build-asan" -j"$jobs"
  stage_done asan-build
  stage "address + undefined sanitizers: whole suite ($build-asan)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$build-asan" --output-on-failure -j"$jobs"
  stage_done asan-test
fi

if [ "$tsan" = 1 ]; then
  stage "thread sanitizer: build the concurrency tests ($build-tsan)"
  configure "$build-tsan" "-O1 -g1" -DSCORESTREAM_SANITIZE=thread -DSCORESTREAM_BUILD_BENCHMARKS=OFF \
    -DSCORESTREAM_BUILD_EXAMPLES=OFF -DSCORESTREAM_CONSUMER_TESTS=OFF
  targets=()
  available=$(cmake --build "$build-tsan" --target help)  # captured: grep -q on a pipe breaks it
  for t in scorestream_stream_tests scorestream_serve_tests scorestream_query_tests; do
    if grep -qx "\.\.\. $t" <<<"$available"; then targets+=("$t"); fi
  done
  cmake --build "$build-tsan" -j"$jobs" --target "${targets[@]}"
  stage_done tsan-build
  stage "thread sanitizer: run the concurrency tests"
  failed=0
  for t in "${targets[@]}"; do
    exe=$(find "$build-tsan/tests" -name "$t" -type f -perm -u+x | head -n 1)
    echo "-- $t (thread sanitizer)"
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" "$exe" || failed=1
  done
  stage_done tsan-test
  [ "$failed" = 0 ] || { echo "thread sanitizer: failures above" >&2; exit 1; }
fi
echo "scripts/test.sh: all passed"
