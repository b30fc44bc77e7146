#!/usr/bin/env bash
# The fraud example end to end: what the README's first Quick start command
# runs after installing and building. It
#    1. generates a mobile-rewards app's raw tables (generate.py), dated so that
#       the last day of data is the last 24 hours before now;
#    2. starts fsd on a free loopback port with a temporary data directory;
#    3. applies the definitions (features.yaml);
#    4. backfills every source with the streaming ingest: the generator's dirty
#       rows are rejected with reasons and kept as dead letters;
#    5. pins a snapshot;
#    6. trains mistplay_fraud_model with 3-fold cross-validation on the labels
#       that had arrived by the snapshot (point-in-time features) and registers it;
#    7. promotes it to Staging, then to Production through a metric gate;
#    8. scores a clean transaction, an account takeover and a device-farm
#       transaction with explanations;
#    9. batch-scores every account and device active in the last 24 hours and
#       exports the scores table to CSV;
#   10. checks online/historical parity for sample entities;
#   11. measures Score latency from a Python client;
#   12. shows data quality and drift, and feeds the batch's eventual labels
#       back (fsctl feedback) for the model's live AUC and precision;
# then stops the server and prints a summary (also written as JSON).
#
# Usage: bash examples/fraud/demo.sh [--rows N] [--seed S] [--out DIR]
#                                    [--summary-json FILE] [--keep] [--secure]
# BUILD (default: build, relative to the repository root) holds the binaries.
# Needs /usr/bin/python3 with numpy and pandas (generate.py) and python3-grpcio
# (latency.py), all from deploy/install-deps.sh.
# Exit status: 0 when every step passed, 1 on any failure, 2 on bad arguments.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bash examples/fraud/demo.sh [FLAGS]

The fraud example end to end: generate, ingest, snapshot, train, register,
promote, score with explanations, batch-score, parity check, latency,
monitoring (quality, drift, feedback).

Flags:
  --rows N              Clean transactions to generate (the other tables scale
                        with it, about 2.2 x N rows in all). Default: 200000.
  --seed S              Seed of the generator and of training. Default: 7.
  --out DIR             Where the generated CSVs, the training labels, the scores
                        export, the parity rows and summary.json go (kept).
                        Default: a new /tmp/fstore-fraud-demo-out-XXXXXX.
  --summary-json FILE   Also write the machine-readable summary here.
  --keep                Leave fsd running (and its data) for exploration.
  --secure              Run it all over TLS with bearer tokens (README, Security):
                        make a CA and a server certificate with openssl, give the
                        demo an admin token, and check that a call without a token
                        and a reader's promotion are refused.
  -h, --help            This help.

Environment: BUILD, the build directory (default: build).
EOF
}

ROWS=200000
SEED=7
KEEP=0
SECURE=0
OUT=""
SUMMARY_JSON=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=${2:?--rows needs a value}; shift 2 ;;
    --rows=*) ROWS=${1#*=}; shift ;;
    --seed) SEED=${2:?--seed needs a value}; shift 2 ;;
    --seed=*) SEED=${1#*=}; shift ;;
    --out) OUT=${2:?--out needs a value}; shift 2 ;;
    --out=*) OUT=${1#*=}; shift ;;
    --summary-json) SUMMARY_JSON=${2:?--summary-json needs a value}; shift 2 ;;
    --summary-json=*) SUMMARY_JSON=${1#*=}; shift ;;
    --keep) KEEP=1; shift ;;
    --secure) SECURE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "demo.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $ROWS =~ ^[0-9]+$ ]] && [ "$ROWS" -ge 2000 ] || { echo "demo.sh: --rows '$ROWS' must be an integer >= 2000" >&2; exit 2; }
[[ $SEED =~ ^[0-9]+$ ]] || { echo "demo.sh: --seed '$SEED' must be a non-negative integer" >&2; exit 2; }

# Paths given relative to the caller's directory, before moving to the root.
if [ -n "$OUT" ]; then mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd); fi
if [ -n "$SUMMARY_JSON" ]; then
  mkdir -p "$(dirname "$SUMMARY_JSON")"
  SUMMARY_JSON="$(cd "$(dirname "$SUMMARY_JSON")" && pwd)/$(basename "$SUMMARY_JSON")"
fi
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
if [ -d "$BUILD" ]; then BUILD=$(cd "$BUILD" && pwd); fi
here=examples/fraud
PY=/usr/bin/python3
FSD="$BUILD/server/fsd"
FSCTL="$BUILD/client/fsctl"
for b in "$FSD" "$FSCTL"; do
  [ -x "$b" ] || { echo "demo.sh: missing $b (build first, or set BUILD)" >&2; exit 1; }
done
[ -x "$PY" ] || { echo "demo.sh: needs $PY (bash deploy/install-deps.sh)" >&2; exit 1; }

MODEL=mistplay_fraud_model
SERVICE=fraud_v1
SNAPSHOT=fraud-demo-train
FOLDS=3
FLOOR=0.85          # the model's Production gate: AUC the data supports with margin
LOOKBACK=24h
# Batch scoring rates each active account on its device as if it sent a
# $100 transfer now (the request fields a batch has no transaction for).
BATCH_FIELDS=(--field amount=100 --field type_code=1)

[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/fstore-fraud-demo-out-XXXXXX)
work=$(mktemp -d /tmp/fstore-fraud-demo-XXXXXX)
state="$OUT/state.json"
rm -f "$state"
fsd_pid=""
step_no=0
step_title=""
step_name=""
finished=0

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
t_all=$(now)

cleanup() {
  local rc=$?
  trap - EXIT
  if [ "$rc" -ne 0 ] && [ "$finished" -eq 0 ]; then
    echo >&2
    echo "demo.sh: FAILED in step $step_no ($step_title), exit status $rc" >&2
    if [ -s "$work/fsd.log" ]; then
      echo "last lines of the fsd log ($work/fsd.log):" >&2
      tail -n 15 "$work/fsd.log" >&2
    fi
    if [ "$rc" -ne 2 ] && [ "$rc" -lt 128 ]; then rc=1; fi
  fi
  if [ "$KEEP" -eq 1 ] && [ -n "$fsd_pid" ] && kill -0 "$fsd_pid" 2>/dev/null; then
    echo
    echo "--keep: fsd keeps running (pid $fsd_pid) on $FSTORE_SERVER, data in $work/db:"
    echo "  export FSTORE_SERVER=$FSTORE_SERVER"
    echo "  $FSCTL models show $MODEL"
    local ids="--entity account_id=... --entity device_id=..."
    if [ -s "$OUT/samples.csv" ]; then
      ids=$(awk -F, 'NR == 2 { print "--entity account_id=" $3 " --entity device_id=" $4 }' "$OUT/samples.csv")
    fi
    echo "  $FSCTL features get $SERVICE $ids"
    echo "  $FSCTL score $MODEL@Production $ids --field amount=100 --field type_code=1 --explain exact"
    echo "  kill $fsd_pid; rm -rf $work      # when done"
  else
    if [ -n "$fsd_pid" ]; then kill -TERM "$fsd_pid" 2>/dev/null || true; wait "$fsd_pid" 2>/dev/null || true; fi
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Section headers with the time each step took (for the summary).
step() {
  if [ -n "$step_name" ]; then echo "$step_name $(since "$step_t0")" >>"$work/timings"; fi
  step_no=$((step_no + 1))
  step_name=$1
  step_title=$2
  step_t0=$(now)
  echo
  echo "== $step_no. $2"
}
# Show a command the way a user would type it ($OUT for the output directory).
show() {
  local out="" a safe='^[][A-Za-z0-9_./:=@,+%$-]+$'
  for a in "$@"; do
    a=${a//"$OUT"/\$OUT}
    if [[ $a =~ $safe ]]; then out+=" $a"; else out+=" '$a'"; fi
  done
  echo "\$${out}"
}
run() { show fsctl "$@"; "$FSCTL" "$@"; }
steps() { "$PY" "$here/demo_steps.py" "$@"; }
json_get() {  # json_get FILE PYTHON-EXPRESSION-OF-d
  "$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

echo "fstore fraud demo: --rows $ROWS --seed $SEED; outputs in $OUT (kept)"
echo "(commands below: fsctl = $FSCTL, \$OUT = $OUT)"

# -- 1 -------------------------------------------------------------------------
step generate "Generate a mobile-rewards app's raw data"
# The data's 28 days end at this minute, so "now" is just after the last event:
# scoring reads features as of now and the batch's 24h lookback is the data's
# last day.
start=$(date -u -d "@$(( $(date +%s) / 60 * 60 - 28 * 86400 ))" +%Y-%m-%dT%H:%M:%SZ)
mkdir -p "$OUT/data"
show "$PY" "$here/generate.py" --rows "$ROWS" --seed "$SEED" --start "$start" --out "$OUT/data" \
  --summary-json "$OUT/data/summary.json"
"$PY" "$here/generate.py" --rows "$ROWS" --seed "$SEED" --start "$start" --out "$OUT/data" \
  --summary-json "$OUT/data/summary.json" 2>&1
steps record-json --state "$state" --key generate --file "$OUT/data/summary.json"

# -- 2 -------------------------------------------------------------------------
step start "Start fsd on a free port with a temporary data directory"
secure_flags=()
if [ "$SECURE" = 1 ]; then
  # A CA, a certificate for 127.0.0.1 that it signs, and two tokens (the
  # token file holds only their SHA-256).
  tls="$work/tls"
  mkdir -p "$tls"
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -keyout "$tls/ca.key" -out "$tls/ca.pem" -days 1 \
    -subj "/CN=fstore demo CA" 2>/dev/null
  openssl req "${ec[@]}" -keyout "$tls/server.key" -out "$tls/server.csr" -subj "/CN=localhost" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$tls/server.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
    -out "$tls/server.pem" -days 1 -extfile "$tls/server.ext" 2>/dev/null
  admin_token=$(openssl rand -hex 24)
  reader_token=$(openssl rand -hex 24)
  {
    echo "$(printf %s "$admin_token" | sha256sum | cut -d' ' -f1) demo-admin admin"
    echo "$(printf %s "$reader_token" | sha256sum | cut -d' ' -f1) demo-reader reader"
  } >"$tls/tokens"
  secure_flags=(--tls_cert="$tls/server.pem" --tls_key="$tls/server.key" --auth_tokens="$tls/tokens")
  export FSTORE_TLS_CA="$tls/ca.pem" FSTORE_TOKEN="$admin_token"
fi
show fsd --data_dir="$work/db" --port=0 --port_file="$work/port" "${secure_flags[@]}"
"$FSD" --data_dir="$work/db" --port=0 --port_file="$work/port" "${secure_flags[@]}" \
  >"$work/fsd.log" 2>&1 &
fsd_pid=$!
for _ in $(seq 1 300); do
  [ -s "$work/port" ] && break
  kill -0 "$fsd_pid" 2>/dev/null || { echo "fsd exited at start" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/port" ] || { echo "fsd did not start within 30s" >&2; exit 1; }
export FSTORE_SERVER="127.0.0.1:$(cat "$work/port")"
run health
if [ "$SECURE" = 1 ]; then
  echo "TLS on; FSTORE_TLS_CA=$FSTORE_TLS_CA, FSTORE_TOKEN holds demo-admin's token"
  if FSTORE_TOKEN="" "$FSCTL" models list >"$work/denied.txt" 2>&1; then
    echo "demo.sh: a call without a token was allowed" >&2; exit 1
  fi
  grep -q "needs a bearer token" "$work/denied.txt" || { cat "$work/denied.txt" >&2; exit 1; }
  echo "a call without a token: refused ($(head -c 120 "$work/denied.txt"))"
fi

# -- 3 -------------------------------------------------------------------------
step apply "Apply the definitions: 2 entities, 6 sources, 9 views, the fraud_v1 service"
run apply "$here/features.yaml"

# -- 4 -------------------------------------------------------------------------
step ingest "Backfill every source with the streaming ingest"
echo "Every row is validated; a bad row is rejected with its reason (column, value,"
echo "rule) and kept as a dead letter; replays of an event_id count once."
for src in accounts devices sessions rewards redemptions transactions; do
  show fsctl ingest "$src" "$OUT/data/$src.csv"
  t=$(now)
  # Progress shows on a terminal (stderr); the report is kept to print its head.
  "$FSCTL" ingest "$src" "$OUT/data/$src.csv" >"$work/ingest-$src.txt"
  secs=$(since "$t")
  head -n 1 "$work/ingest-$src.txt"
  sed -n '2,4p' "$work/ingest-$src.txt"
  "$FSCTL" --output=json deadletters "$src" --limit 1000000 >"$work/dead-$src.json"
  steps ingest-report --source "$src" --ingest-out "$work/ingest-$src.txt" \
    --dead "$work/dead-$src.json" --generator-summary "$OUT/data/summary.json" \
    --secs "$secs" --state "$state"
done
echo "All rejected rows are kept; list them with fsctl deadletters SOURCE, e.g.:"
run deadletters transactions --limit 4

# -- 5 -------------------------------------------------------------------------
step snapshot "Pin a snapshot: training reads exactly these events, now and later"
run snapshot create "$SNAPSHOT"
# The training cut-off: the end of the data, moments before the snapshot (no
# event is later). Relative to the data it is the same every run, and so are
# the labels known at it and the model trained on them.
cutoff=$(json_get "$OUT/data/summary.json" "d['end']")

# -- 6 -------------------------------------------------------------------------
step train "Train $MODEL with ${FOLDS}-fold cross-validation, register it"
echo "Labels arrive late (chargebacks 1-20 days after the transaction; a negative is"
echo "final when the 21-day window closes), so training uses only the labels known at"
echo "the cut-off, $cutoff, the end of the data (label_ts before it):"
steps known-labels --labels "$OUT/data/labels.csv" --cutoff "$cutoff" \
  --out "$OUT/labels_known.csv" --state "$state"
run models create "$MODEL" --description "Mistplay demo: fraud risk of a wallet transaction" \
  --gate "auc>=$FLOOR"
echo "Features come from the store as of each label row's ts (strictly before it), at"
echo "the snapshot: no label leakage, and the same definitions serve online."
show fsctl train --service "$SERVICE" --labels "$OUT/labels_known.csv" --model "$MODEL" \
  --snapshot "$SNAPSHOT" --folds "$FOLDS" --seed "$SEED"
"$FSCTL" train --service "$SERVICE" --labels "$OUT/labels_known.csv" --model "$MODEL" \
  --snapshot "$SNAPSHOT" --folds "$FOLDS" --seed "$SEED" >"$work/train.txt"
cat "$work/train.txt"
"$FSCTL" --output=json models show "$MODEL" >"$work/model.json"
version=$(json_get "$work/model.json" "d['model']['latest_version']")
steps record-model --state "$state" --models-json "$work/model.json" --version "$version"

# -- 7 -------------------------------------------------------------------------
step promote "Promote version $version: Staging, then Production through a metric gate"
auc=$(json_get "$work/model.json" "'%.4f' % [v for v in d['versions'] if v['version'] == $version][0]['metrics']['auc']")
run promote "$MODEL" "$version" --stage Staging --comment "${FOLDS}-fold CV AUC $auc at snapshot $SNAPSHOT"
if [ "$SECURE" = 1 ]; then
  echo "A reader may look but not promote:"
  if FSTORE_TOKEN="$reader_token" run promote "$MODEL" "$version" --stage Production; then
    echo "demo.sh: a reader's promotion should have been refused" >&2
    exit 1
  fi
fi
echo "A bar the model does not reach is refused, and nothing changes:"
if run promote "$MODEL" "$version" --stage Production --require "pr_auc>=0.99"; then
  echo "demo.sh: the promotion should have been refused" >&2
  exit 1
fi
run promote "$MODEL" "$version" --stage Production --require "auc>=$FLOOR" \
  --comment "passed auc>=$FLOOR"
run models history "$MODEL"
"$FSCTL" --output=json models show "$MODEL" >"$work/model.json"
steps record-model --state "$state" --models-json "$work/model.json" --version "$version"

# -- 8 -------------------------------------------------------------------------
step score "Score sample transactions with explanations"
at_flag=0
if "$FSCTL" score --help 2>&1 | grep -q -- '--at='; then at_flag=1; fi
steps pick-samples --data "$OUT/data" --now "$cutoff" --out "$OUT/samples.csv"
if [ "$at_flag" -eq 1 ]; then
  echo "Each is scored as it arrived: features as of its own ts (--at), strictly before"
  echo "it, which is what serving saw and what the training rows hold."
else
  echo "This fsctl has no score --at: each is scored with its entities' features as of now."
fi
while IFS=, read -r -u 3 kind event_id acct dev ts amount type_code type label pattern _; do
  [ "$kind" = kind ] && continue
  echo
  echo "# $kind: $event_id, $type of $amount at $ts (label $label, $pattern)"
  args=(score "$MODEL@Production" --entity "account_id=$acct" --entity "device_id=$dev"
        --field "amount=$amount" --field "type_code=$type_code" --explain fast)
  at="now"
  if [ "$at_flag" -eq 1 ]; then args+=(--at "$ts"); at=$ts; fi
  run "${args[@]}"
  "$FSCTL" --output=json "${args[@]}" >"$work/score-$kind.json"
  steps record-score --state "$state" --kind "$kind" --json "$work/score-$kind.json" \
    --samples "$OUT/samples.csv" --at "$at"
done 3<"$OUT/samples.csv"

# -- 9 -------------------------------------------------------------------------
step batch "Batch-score everything active in the last $LOOKBACK; export for analysts"
run batch-score "$MODEL@Production" --lookback "$LOOKBACK" "${BATCH_FIELDS[@]}" | tee "$work/batch.txt"
batch_id=$(sed -n 's/.* into batch \([^ ]*\).*/\1/p' "$work/batch.txt")
[ -n "$batch_id" ] || { echo "demo.sh: no batch id in the batch-score output" >&2; exit 1; }
run scores export --batch "$batch_id" --out "$OUT/scores.csv"
steps batch-report --text "$work/batch.txt" --csv "$OUT/scores.csv" --lookback "$LOOKBACK" \
  --state "$state"

# -- 10 ------------------------------------------------------------------------
step parity "Parity: online reads equal the training set's values"
echo "For the samples, a few other transactions of the last day and two batch"
echo "entities as of now, the online read (features get --at T) and the historical"
echo "one (dataset build at the snapshot) must agree on every feature."
steps parity-rows --samples "$OUT/samples.csv" --labels "$OUT/data/labels.csv" \
  --scores "$OUT/scores.csv" --at "$cutoff" --seed "$SEED" --out "$OUT/parity_rows.csv"
show "$PY" "$here/parity_check.py" --fsctl "$FSCTL" --service "$SERVICE" --snapshot "$SNAPSHOT" \
  --rows "$OUT/parity_rows.csv" --out "$OUT"
"$PY" "$here/parity_check.py" --fsctl "$FSCTL" --service "$SERVICE" --snapshot "$SNAPSHOT" \
  --rows "$OUT/parity_rows.csv" --out "$OUT" --json "$work/parity.json"
steps record-json --state "$state" --key parity --file "$work/parity.json"

# -- 11 ------------------------------------------------------------------------
step latency "Latency: Score round trips from a Python client"
echo "One channel, sequential calls, features as of now for the batch's entities."
export PYTHONPATH="$BUILD/python${PYTHONPATH:+:$PYTHONPATH}"
show "PYTHONPATH=$BUILD/python" "$PY" "$here/latency.py" --server "$FSTORE_SERVER" \
  --model "$MODEL@Production" --entities "$OUT/scores.csv" --calls 500
"$PY" "$here/latency.py" --server "$FSTORE_SERVER" --model "$MODEL@Production" \
  --entities "$OUT/scores.csv" --calls 500 --json "$work/latency.json"
steps record-json --state "$state" --key latency --file "$work/latency.json"
echo "These are round trips of Python's grpcio client, whose own cost is a good part"
echo "of them; Score's excess over the empty health check on the same channel is about"
echo "what the server adds (two entity reads, the trees, a larger message)."

# -- 12 ------------------------------------------------------------------------
step monitor "Monitor: data quality, drift, and the labels that came back"
echo "What ingest accepted and rejected, by rule, with each column's null rate:"
run quality transactions --window 24h --bucket 1h
echo
echo "The inputs served in the last hour against the training data (PSI, KS):"
run drift "$MODEL@Production" --window 1h >"$work/drift.txt"
head -n 6 "$work/drift.txt"
echo "  ..."
tail -n 1 "$work/drift.txt"
echo
echo "Chargebacks arrive days later: label the batch's requests and see how the"
echo "model did on them (the labels stay with the exact features it was served)."
steps feedback-file --scores "$OUT/scores.csv" --labels "$OUT/data/labels.csv" \
  --batch-id "$batch_id" --cutoff "$cutoff" --out "$OUT/feedback.csv"
run feedback "$OUT/feedback.csv"
"$FSCTL" --output=json performance "$MODEL@Production" >"$work/performance.json"
steps record-json --state "$state" --key feedback --file "$work/performance.json"
echo "(fsctl train --from-feedback $MODEL@Production --model $MODEL retrains on them.)"

# -- 13 ------------------------------------------------------------------------
if [ "$KEEP" -eq 0 ]; then
  step stop "Stop fsd"
  kill -TERM "$fsd_pid"
  wait "$fsd_pid" || { echo "fsd exited with status $? on SIGTERM" >&2; fsd_pid=""; exit 1; }
  fsd_pid=""
  echo "fsd stopped cleanly"
fi
echo "$step_name $(since "$step_t0")" >>"$work/timings"
step_name=""
echo "total $(since "$t_all")" >>"$work/timings"

step_title="Summary"
echo
echo "== Summary"
steps summary --state "$state" --timings "$work/timings" --out "$OUT/summary.json" --out-dir "$OUT"
if [ -n "$SUMMARY_JSON" ]; then cp "$OUT/summary.json" "$SUMMARY_JSON"; fi
rm -f "$state"
finished=1
