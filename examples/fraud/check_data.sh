#!/usr/bin/env bash
# Checks the fraud example's data end to end on a small dataset:
#   1. generates ROWS transactions (default 20000) with examples/fraud/generate.py;
#   2. starts fsd on a free port with a temporary data directory;
#   3. applies examples/fraud/features.yaml and ingests every source with
#      `fsctl ingest`, asserting that accepted/rejected/duplicate counts equal
#      what the generator wrote, and that the dead letters' rules match the
#      kinds of dirt (bad_timestamp=type, negative=min, unknown_enum=allowed,
#      missing_key=not_null);
#   4. reads fraud_v1 online for a sample account and device;
#   5. builds the fraud_v1 training set for labels.csv and runs
#      check_signal.py: pandas point-in-time features equal the store's,
#      single-feature AUCs show signal, the fraud rate is in range.
# Run from anywhere; BUILD (default /work/main/build, else ./build) holds the
# binaries. Needs /usr/bin/python3 with numpy and pandas (Debian packages).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-/work/main/build}
[ -x "$BUILD/server/fsd" ] || BUILD="$root/build"
ROWS=${ROWS:-20000}
SEED=${SEED:-7}
PY=/usr/bin/python3
fsd_bin="$BUILD/server/fsd"
fsctl_bin="$BUILD/client/fsctl"
for b in "$fsd_bin" "$fsctl_bin"; do
  [ -x "$b" ] || { echo "missing $b (build first, or set BUILD)" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/fstore-fraud-check-XXXXXX)
fsd_pid=""
cleanup() {
  if [ -n "$fsd_pid" ]; then kill "$fsd_pid" 2>/dev/null || true; wait "$fsd_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
t_all=$(now)

echo "== generate --rows $ROWS --seed $SEED"
t=$(now)
"$PY" "$here/generate.py" --rows "$ROWS" --seed "$SEED" --out "$tmp/data" \
  --summary-json "$tmp/summary.json"
t_generate=$(since "$t")

echo "== start fsd"
"$fsd_bin" --data_dir="$tmp/db" --port=0 --port_file="$tmp/port" 2>"$tmp/fsd.log" &
fsd_pid=$!
for _ in $(seq 1 300); do
  [ -s "$tmp/port" ] && break
  kill -0 "$fsd_pid" 2>/dev/null || { cat "$tmp/fsd.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$tmp/port" ] || { echo "fsd did not start" >&2; cat "$tmp/fsd.log" >&2; exit 1; }
FSTORE_SERVER="127.0.0.1:$(cat "$tmp/port")"
export FSTORE_SERVER
echo "fsd is listening on $FSTORE_SERVER"
fsctl() { "$fsctl_bin" "$@"; }

echo "== apply features.yaml"
fsctl apply "$here/features.yaml"

echo "== ingest"
t=$(now)
for src in accounts devices sessions rewards redemptions transactions; do
  ts=$(now)
  fsctl --output=json ingest "$src" "$tmp/data/$src.csv" >"$tmp/ingest-$src.json"
  secs=$(since "$ts")
  fsctl --output=json deadletters "$src" --limit 1000000 >"$tmp/dead-$src.json"
  # Compare with what the generator says it wrote.
  if ! "$PY" - "$src" "$tmp/summary.json" "$tmp/ingest-$src.json" "$tmp/dead-$src.json" "$secs" <<'EOF'
import collections, json, sys
src, summary, ingest, dead, secs = sys.argv[1:]
t = json.load(open(summary))["tables"][src]
got = json.load(open(ingest))
dl = json.load(open(dead))
dirt = t["dirt"]
want = {"accepted": t["clean"], "duplicates": dirt.get("duplicate", 0),
        "rejected": sum(v for k, v in dirt.items() if k != "duplicate")}
rule_of = {"bad_timestamp": "type", "negative": "min", "unknown_enum": "allowed", "missing_key": "not_null"}
want_rules = {rule_of[k]: v for k, v in dirt.items() if k != "duplicate" and v}
rules = collections.Counter(d["rule"] for d in dl["dead_letters"])
rate = got["rows"] / max(float(secs), 1e-9)
print(f"  {src:<13} {got['rows']:>7} rows: {got['accepted']} accepted, {got['rejected']} rejected "
      f"({', '.join(f'{k} {v}' for k, v in sorted(rules.items()))}), {got['duplicates']} duplicates"
      f"  [{secs}s, {rate:,.0f} rows/s]")
ok = True
for k, v in want.items():
    if got[k] != v:
        print(f"  MISMATCH {src}: {k} = {got[k]}, generator says {v}")
        ok = False
if dict(rules) != want_rules or dl["total"] != want["rejected"]:
    print(f"  MISMATCH {src}: dead-letter rules {dict(rules)} (total {dl['total']}), expected {want_rules}")
    ok = False
sys.exit(0 if ok else 1)
EOF
  then fail "ingest counts of $src"; fi
done
t_ingest=$(since "$t")

echo "== features get fraud_v1 for a sample account and device"
end=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"])' "$tmp/summary.json")
# The last positive label's account and device, as of the end of the data.
read -r acct dev < <("$PY" - "$tmp/data/labels.csv" <<'EOF'
import csv, sys
last = None
for r in csv.DictReader(open(sys.argv[1])):
    if r["label"] == "1":
        last = r
print(last["account_id"], last["device_id"])
EOF
)
fsctl features get fraud_v1 --entity account_id="$acct" --entity device_id="$dev" --at "$end"
fsctl --output=json features get fraud_v1 --entity account_id="$acct" --entity device_id="$dev" \
  --at "$end" >"$tmp/online.json"
if ! "$PY" - "$tmp/online.json" <<'EOF'
import json, sys
f = json.load(open(sys.argv[1]))["features"]
present = {k: v for k, v in f.items() if v is not None}
print(f"  {len(present)} of {len(f)} features have values; txn_n_7d = {f.get('txn_n_7d')}")
sys.exit(0 if len(f) >= 30 and f.get("txn_n_7d") not in (None, 0) else 1)
EOF
then fail "features get fraud_v1 for $acct/$dev returned no values"; fi

echo "== dataset build fraud_v1 for labels.csv"
t=$(now)
fsctl dataset build --service fraud_v1 --entities "$tmp/data/labels.csv" --out "$tmp/train.csv"
t_dataset=$(since "$t")

echo "== signal check (pandas)"
t=$(now)
"$PY" "$here/check_signal.py" "$tmp/data" --dataset "$tmp/train.csv" || fail "signal check"
t_signal=$(since "$t")

kill -TERM "$fsd_pid"
wait "$fsd_pid"
fsd_pid=""
echo
echo "timings: generate ${t_generate}s, ingest ${t_ingest}s, dataset build ${t_dataset}s," \
  "signal check ${t_signal}s, total $(since "$t_all")s"
if [ "$failures" -gt 0 ]; then
  echo "check_data: $failures check(s) failed" >&2
  exit 1
fi
echo "check_data: OK"
