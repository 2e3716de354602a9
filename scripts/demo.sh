#!/usr/bin/env bash
# Builds scorestream in Release and runs the log-centric demo, examples/wine_kafka, on an embedded
# Kafka cluster (librdkafka's mock brokers on loopback: no setup, no network): a producer writes
# drifting wine records to a topic, a publisher retrains and publishes a PMML model every second,
# the serving pipeline joins records with the latest model, and a reader reports which model
# version answered and how well. Runs for about 15 seconds (12000 records at 1000 per second).
#
#   scripts/demo.sh                      # the demo
#   scripts/demo.sh --records 30000      # any wine_kafka option (e.g. --brokers HOST:PORT)
#
# The in-process demo without Kafka is examples/wine_serving (build/examples/wine_serving/wine_serving).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${BUILD_DIR:-build-release}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSCORESTREAM_BUILD_TESTS=OFF -DSCORESTREAM_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" -j"${JOBS:-$(nproc)}" --target wine_kafka
if [ "$#" -eq 0 ]; then
    set -- --records 12000 --rate 1000 --publish-every 1 --drift-every 4000
fi
exec "$build/examples/wine_kafka/wine_kafka" "$@"
