#!/usr/bin/env bash
# Installs the Debian 12 packages scorestream needs to build, test, benchmark and run its demos.
# Runs apt-get as root, through sudo otherwise; does nothing when every package is present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  clang libclang-rt-14-dev            # fuzz and sanitizer builds
  libboost-dev                        # Asio, Lockfree, Beast (header-only in 1.74)
  protobuf-compiler libprotobuf-dev   # ModelDescriptor and result messages
  libpugixml-dev libeigen3-dev        # PMML evaluator (private)
  catch2 libbenchmark-dev             # tests and benchmarks
  nlohmann-json3-dev libcli11-dev libfast-float-dev
  librdkafka-dev kcat                 # Kafka connector and its interop tests
  curl                                # HTTP examples
  python3                             # docs snippet check
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo_cmd=()
elif command -v sudo >/dev/null 2>&1; then
  sudo_cmd=(sudo)
else
  echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
