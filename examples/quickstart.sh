#!/usr/bin/env bash
# Quick start: starts fsd on a temporary data directory, checks it with
# fsctl, and stops it. Run from the repository root after building (build/).
# The fraud example (examples/fraud/) will take this script's place.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
data=$(mktemp -d /tmp/fstore-quickstart-XXXXXX)
trap 'kill "$fsd_pid" 2>/dev/null || true; wait "$fsd_pid" 2>/dev/null || true; rm -rf "$data"' EXIT

"$BUILD/server/fsd" --data_dir="$data/db" --port=0 --port_file="$data/port" 2>"$data/fsd.log" &
fsd_pid=$!
for _ in $(seq 1 300); do
  [ -s "$data/port" ] && break
  kill -0 "$fsd_pid" 2>/dev/null || { cat "$data/fsd.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$data/port" ] || { echo "fsd did not start" >&2; cat "$data/fsd.log" >&2; exit 1; }
server="127.0.0.1:$(cat "$data/port")"
echo "fsd is listening on $server (data in $data/db)"

echo "\$ fsctl --server=$server health"
"$BUILD/client/fsctl" --server="$server" health
echo "\$ fsctl --server=$server --output=json health"
"$BUILD/client/fsctl" --server="$server" --output=json health

kill -TERM "$fsd_pid"
wait "$fsd_pid"
echo "fsd stopped cleanly"
