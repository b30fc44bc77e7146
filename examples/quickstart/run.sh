#!/usr/bin/env bash
# Quick start: starts fsd on a temporary data directory, applies feature
# definitions, ingests a small CSV (with a few bad rows and a replayed one),
# reads online features, builds a point-in-time training set at a snapshot
# and stops the server. Run from the repository root
# after building (build/). The fraud example (examples/fraud/) will take this
# script's place in the README's first command.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
here=examples/quickstart
data=$(mktemp -d /tmp/fstore-quickstart-XXXXXX)
fsd_pid=""
cleanup() {
  if [ -n "$fsd_pid" ]; then kill "$fsd_pid" 2>/dev/null || true; wait "$fsd_pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

"$BUILD/server/fsd" --data_dir="$data/db" --port=0 --port_file="$data/port" 2>"$data/fsd.log" &
fsd_pid=$!
for _ in $(seq 1 300); do
  [ -s "$data/port" ] && break
  kill -0 "$fsd_pid" 2>/dev/null || { cat "$data/fsd.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$data/port" ] || { echo "fsd did not start" >&2; cat "$data/fsd.log" >&2; exit 1; }
export FSTORE_SERVER="127.0.0.1:$(cat "$data/port")"
echo "fsd is listening on $FSTORE_SERVER (data in $data/db)"

run() { echo; echo "\$ fsctl $*"; "$BUILD/client/fsctl" "$@"; }
run health
run apply "$here/features.yaml"
run ingest txns "$here/txns.csv"
run deadletters txns
run features get acct --entity account_id=A-1001 --at 2026-01-05T10:00:00Z
run --output=json features get acct_svc --entity account_id=A-1001 --at 2026-01-05T10:00:00Z
run snapshot create quickstart
run dataset build --service acct_svc --entities "$here/labels.csv" --snapshot quickstart --out "$data/train.csv"
echo "\$ cat train.csv"
cat "$data/train.csv"

kill -TERM "$fsd_pid"
wait "$fsd_pid"
fsd_pid=""
echo
echo "fsd stopped cleanly"
