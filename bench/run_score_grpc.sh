#!/bin/bash
# Score over loopback gRPC (docs/design.md §5), several fsd builds compared on one
# data directory in one session: for each round, each build in turn is
# started, measured with fstore_load --mode=score (1 and 16 clients, 6
# interleaved rounds of 1 s of the empty call, Score and refused Score) and
# stopped. Interleaving the builds spreads the machine's other load over all.
#   bash bench/run_score_grpc.sh OUT ROUNDS DATA_DIR FSD_BINARY...
# DATA_DIR must hold the fraud workload with fraud_bench in Production: the
# first time, run fstore_load --mode=score (without --setup=false) once
# against an fsd on it. Env: BUILD (build directory with bench/fstore_load,
# default build). Appends, per run, fsd's CPU ticks (utime + stime,
# including its start) to OUT.
set -euo pipefail

BUILD=${BUILD:-build}
OUT=$1
ROUNDS=$2
DATA=$3
shift 3
PORT_FILE=$(mktemp -u /tmp/fstore-score-port-XXXXXX)
: > "$OUT"
for round in $(seq "$ROUNDS"); do
  for fsd in "$@"; do
    rm -f "$PORT_FILE"
    "$fsd" --data_dir="$DATA" --port=0 --port_file="$PORT_FILE" --log_level=warn &
    pid=$!
    for _ in $(seq 60); do [ -s "$PORT_FILE" ] && break; sleep 1; done
    sleep 2
    echo "=== $fsd round $round $(uptime)" >> "$OUT"
    "$BUILD/bench/fstore_load" --server=127.0.0.1:"$(cat "$PORT_FILE")" --mode=score \
      --setup=false --clients=1,16 --seconds=1 --rounds=6 2>&1 | grep -v '^first' >> "$OUT"
    echo "fsd_cpu_ticks $(awk '{print $14+$15}' /proc/$pid/stat) (per s: $(getconf CLK_TCK))" >> "$OUT"
    kill "$pid"
    wait "$pid" || true
  done
done
rm -f "$PORT_FILE"
