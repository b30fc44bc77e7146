#!/bin/bash
# Historical retrieval, fstore vs pandas merge_asof, on the same data in the
# same run (docs/design.md §5). Builds nothing: build historical_bench first
#   cmake --build build -j2 --target historical_bench
# then, from the repository root:
#   bash bench/run_historical.sh [ROWS [EVENTS [ACCOUNTS]]]
# Defaults: 1,000,000 entity rows, 2,000,000 events, 100,000 accounts.
# Env: BUILD (build directory, default build), RUNS (timed fstore runs, best
# reported; default 2), PANDAS_REPEAT (timed pandas runs, best reported;
# default 2), KEEP_DIR (keep the CSVs there instead of a temp dir that is
# removed).
# Prints both programs' output, then the ratio fstore rows/s / pandas rows/s,
# by wall time and by CPU time (the latter stays meaningful when other
# processes compete for the cores).
set -euo pipefail

BUILD=${BUILD:-build}
ROWS=${1:-1000000}
EVENTS=${2:-2000000}
ACCOUNTS=${3:-100000}
PYTHON=/usr/bin/python3
BENCH="$BUILD/bench/historical_bench"

if [[ ! -x "$BENCH" ]]; then
  echo "no $BENCH: cmake --build $BUILD -j2 --target historical_bench" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import pandas' 2>/dev/null; then
  echo "pandas is missing for $PYTHON: apt-get install -y python3-pandas" >&2
  exit 1
fi

if [[ -n "${KEEP_DIR:-}" ]]; then
  DIR=$KEEP_DIR
  mkdir -p "$DIR"
else
  DIR=$(mktemp -d /tmp/fstore-historical-csv-XXXXXX)
  trap 'rm -rf "$DIR"' EXIT
fi

# Peak memory via /usr/bin/time -v when it is there.
TIMEV=()
if [[ -x /usr/bin/time ]]; then TIMEV=(/usr/bin/time -v); fi

run() {  # run LOG CMD...: CMD's output to the terminal and LOG
  local log=$1
  shift
  "${TIMEV[@]}" "$@" 2> >(tee "$log.err" >&2) | tee "$log"
}

echo "== fstore: $ROWS rows, $EVENTS events, $ACCOUNTS accounts (CSVs in $DIR)"
run "$DIR/fstore.log" "$BENCH" --events="$EVENTS" --accounts="$ACCOUNTS" --rows="$ROWS" \
  --dir="$DIR" --keep --runs="${RUNS:-2}"
echo "== pandas"
run "$DIR/pandas.log" "$PYTHON" bench/historical_pandas.py --dir="$DIR" \
  --repeat="${PANDAS_REPEAT:-2}"
sleep 0.2  # let tee write the stderr logs

field() {  # field NAME LOG: the value of NAME=... in LOG
  grep -o "$1=[0-9.]*" "$2" | tail -1 | cut -d= -f2
}
peak() {  # peak LOG: "Maximum resident set size" from /usr/bin/time -v, in MiB
  awk -F: '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$1.err"
}
FSTORE=$(field fstore_rows_per_s "$DIR/fstore.log")
PANDAS=$(field pandas_rows_per_s "$DIR/pandas.log")
echo "== summary ($ROWS entity rows x 20 features, $EVENTS events, $ACCOUNTS accounts)"
echo "ingest: $(field fstore_ingest_events_per_s "$DIR/fstore.log") events/s"
echo "fstore: $FSTORE rows/s, peak RSS $(peak "$DIR/fstore.log") MiB"
echo "pandas: $PANDAS rows/s, peak RSS $(peak "$DIR/pandas.log") MiB"
FSTORE_CPU=$(field fstore_rows_per_cpu_s "$DIR/fstore.log")
PANDAS_CPU=$(field pandas_rows_per_cpu_s "$DIR/pandas.log")
echo "by CPU time: fstore $FSTORE_CPU rows/cpu-s, pandas $PANDAS_CPU rows/cpu-s"
awk -v f="$FSTORE" -v p="$PANDAS" -v fc="$FSTORE_CPU" -v pc="$PANDAS_CPU" 'BEGIN {
  printf "ratio fstore/pandas: %.1fx by wall time, %.1fx by CPU time", f / p, fc / pc
  printf " (budget >= 10x; fstore budget >= 1,000,000 rows/s)\n" }'
