#!/bin/bash
# Score over TLS with bearer tokens against plain text (README, Security):
# the same fsd binary on the same data directory, started in turn plain
# (loopback, no tokens) and with --tls_cert/--tls_key/--auth_tokens, each
# measured with fstore_load --mode=score (1 and 16 clients, interleaved
# rounds of the empty call, Score and refused Score), ROUNDS times.
#   bash bench/run_score_tls.sh OUT ROUNDS DATA_DIR
# DATA_DIR must hold the fraud workload with fraud_bench in Production (run
# fstore_load --mode=score once against an fsd on it first). Env: BUILD
# (default build).
set -euo pipefail

BUILD=${BUILD:-build}
OUT=$1
ROUNDS=$2
DATA=$3
tmp=$(mktemp -d /tmp/fstore-score-tls-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -keyout "$tmp/ca.key" -out "$tmp/ca.pem" -days 1 -subj "/CN=bench CA" 2>/dev/null
openssl req "${ec[@]}" -keyout "$tmp/server.key" -out "$tmp/server.csr" -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$tmp/server.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
  -out "$tmp/server.pem" -days 1 -extfile "$tmp/server.ext" 2>/dev/null
token=$(openssl rand -hex 24)
echo "$(printf %s "$token" | sha256sum | cut -d' ' -f1) bench scorer" >"$tmp/tokens"

: >"$OUT"
for round in $(seq "$ROUNDS"); do
  for mode in plain tls; do
    rm -f "$tmp/port"
    flags=()
    client=()
    if [ "$mode" = tls ]; then
      flags=(--tls_cert="$tmp/server.pem" --tls_key="$tmp/server.key" --auth_tokens="$tmp/tokens")
      client=(--tls_ca="$tmp/ca.pem" --token="$token")
    fi
    "$BUILD/server/fsd" --data_dir="$DATA" --port=0 --port_file="$tmp/port" --log_level=warn \
      "${flags[@]}" &
    pid=$!
    for _ in $(seq 60); do [ -s "$tmp/port" ] && break; sleep 1; done
    sleep 2
    echo "=== $mode round $round $(uptime)" >>"$OUT"
    "$BUILD/bench/fstore_load" --server=127.0.0.1:"$(cat "$tmp/port")" --mode=score \
      --setup=false --clients=1,16 --seconds=1 --rounds=6 "${client[@]}" 2>&1 |
      grep -v '^first' >>"$OUT"
    kill "$pid"
    wait "$pid" || true
  done
done
