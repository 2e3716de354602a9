#!/usr/bin/env bash
# Starts query_server, asks its four endpoints with curl, checks the answers, and stops it.
#     examples/query_server/curl_demo.sh <path to query_server> [work dir]
# Exits non-zero when an answer is not what the pipeline did.
set -euo pipefail

bin=${1:?usage: curl_demo.sh <path to query_server> [work dir]}
work=${2:-$(mktemp -d)}
records=20000
mkdir -p "$work"
rm -f "$work/port"

"$bin" --port 0 --records "$records" --port-file "$work/port" >"$work/server.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; }
trap cleanup EXIT

fail() {
  echo "curl_demo: $*" >&2
  echo "--- server log" >&2
  cat "$work/server.log" >&2 || true
  exit 1
}

# The server writes its (ephemeral) port once it listens.
for _ in $(seq 600); do
  [ -s "$work/port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "query_server exited before listening"
  sleep 0.05
done
[ -s "$work/port" ] || fail "no port file after 30 s"
base="http://127.0.0.1:$(cat "$work/port")"
get() { curl --silent --show-error --fail --max-time 10 "$base$1"; }

# Wait for the pipeline to finish, so the numbers below are final.
for _ in $(seq 600); do
  get /health | grep -q '"all_finished": true' && break
  sleep 0.05
done

echo "== GET /health"
get /health | tee "$work/health.json"
grep -q '"finished": true' "$work/health.json" || fail "pipeline not finished"

echo "== GET /models"
get /models | tee "$work/models.json"
grep -q '"version": "3"' "$work/models.json" || fail "/models: current model should be pump-health@3"

echo "== GET /state/pumps"
get /state/pumps | tee "$work/state.json"
grep -q '"rejected_updates": 1' "$work/state.json" || fail "/state/pumps: one update was refused"

echo "== GET /metrics (excerpt)"
get /metrics >"$work/metrics.txt"
grep -E '^scorestream_(records_in_total|records_out_total|model_usage_total|unscored_total)' "$work/metrics.txt"
grep -qx "scorestream_records_in_total{pipeline=\"demo\"} $records" "$work/metrics.txt" ||
  fail "/metrics: records_in_total should be $records"

echo "== refusals"
code() { curl --silent --output /dev/null --max-time 10 --write-out '%{http_code}' "$@"; }
[ "$(code -X POST "$base/models")" = 405 ] || fail "POST should be 405"
[ "$(code "$base/state/no-such-type")" = 404 ] || fail "unknown data type should be 404"
[ "$(code "$base/nowhere")" = 404 ] || fail "unknown path should be 404"
echo "POST 405, unknown data type 404, unknown path 404"

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
trap - EXIT
[ "$status" -eq 0 ] || fail "query_server exited with $status"
grep -q "query server stopped" "$work/server.log" || fail "no clean stop"
echo "curl demo: 4 endpoints answered as expected; server stopped cleanly"
