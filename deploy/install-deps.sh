#!/usr/bin/env bash
# Installs fstore's build and test dependencies from Debian's packages.
# Idempotent and non-interactive: when everything is present it does nothing.
# Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git clang-format
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev
  libxgboost-dev xgboost            # XGBoost's CMake config needs the binary package too
  libspdlog-dev libgflags-dev libyaml-cpp-dev nlohmann-json3-dev
  libcpp-httplib-dev               # metrics/: the HTTP server of /metrics
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-grpcio python3-protobuf   # examples/python: a client in another language
  python3-numpy python3-pandas      # examples/fraud data generator; bench/ pandas baseline
  prometheus                        # tests/integration/metrics_test.cc scrapes fsd with it
  openssl                           # certificates for the TLS tests and demo.sh --secure
)
# On a host running systemd, Debian's prometheus package also enables and
# starts a system service listening on :9090. The tests never use that port
# (they start their own prometheus on a free loopback port); stop it with
# `systemctl disable --now prometheus` if it is not wanted.

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root (missing: ${missing[*]})" >&2; exit 1; }
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
