#!/usr/bin/python3
"""Online/historical parity: the same feature values from both paths.

For each row of an entity file (join keys and a ts column), reads the
feature service online as of that ts with

  fsctl --output=json features get SERVICE --entity K=V ... --at TS

and historically, all rows at once, with

  fsctl dataset build --service SERVICE --entities ROWS.csv --snapshot NAME --out FILE

then compares every feature of every row: the dataset's column VIEW__FEATURE
against the online read's FEATURE. Values must agree exactly (numbers as
parsed doubles, booleans, and missing = empty cell = null). Prints one line
per row and the mismatches; exit status 0 when every value agrees, 1 on any
mismatch or error, 2 on bad arguments.

Nothing may be ingested between the snapshot and this check, or the online
reads (which see every acknowledged event) could differ from the snapshot's.

Usage: /usr/bin/python3 examples/fraud/parity_check.py --fsctl build/client/fsctl \\
           --service fraud_v1 --snapshot train --rows rows.csv [--out DIR] [--json FILE]
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def same(cell, value):
    """A dataset cell (text) against an online value (JSON)."""
    if value is None:
        return cell == ""
    if isinstance(value, bool):
        return cell == ("true" if value else "false")
    if isinstance(value, (int, float)):
        try:
            return float(cell) == float(value)
        except ValueError:
            return False
    return cell == str(value)


def shown(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--fsctl", default="fsctl", help="fsctl binary (default: fsctl on PATH)")
    p.add_argument("--server", help="fsd address (default: fsctl's, i.e. $FSTORE_SERVER)")
    p.add_argument("--service", required=True, help="feature service, e.g. fraud_v1")
    p.add_argument("--snapshot", required=True, help="snapshot the dataset is built at")
    p.add_argument("--rows", required=True, help="CSV of join keys and --timestamp-column")
    p.add_argument("--timestamp-column", default="ts")
    p.add_argument("--out", help="directory for the built dataset (default: a temporary one)")
    p.add_argument("--json", help="also write the result as JSON to this file")
    p.add_argument("--show", default="txn_n_24h,dev_acct_distinct_7d,points_7d,is_emulator",
                   help="features to print per row (comma-separated)")
    a = p.parse_args()

    base = [a.fsctl] + ([f"--server={a.server}"] if a.server else [])
    with open(a.rows, newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        rows = list(reader)
    if a.timestamp_column not in header or not rows:
        print(f"parity_check: {a.rows} needs a '{a.timestamp_column}' column and rows",
              file=sys.stderr)
        return 2
    keys = [c for c in header if c != a.timestamp_column]

    out_dir = a.out or tempfile.mkdtemp(prefix="parity-")
    os.makedirs(out_dir, exist_ok=True)
    dataset = os.path.join(out_dir, "parity_dataset.csv")
    try:
        run(base + ["dataset", "build", f"--service={a.service}", f"--entities={a.rows}",
                    f"--timestamp-column={a.timestamp_column}", f"--snapshot={a.snapshot}",
                    f"--out={dataset}"])
        with open(dataset, newline="") as f:
            built = list(csv.DictReader(f))
        if len(built) != len(rows):
            raise RuntimeError(f"dataset build wrote {len(built)} rows for {len(rows)} entity rows")
        online = []
        for r in rows:
            cmd = base + ["--output=json", "features", "get", a.service]
            cmd += [f"--entity={k}={r[k]}" for k in keys]
            cmd += [f"--at={r[a.timestamp_column]}"]
            online.append(json.loads(run(cmd))["features"])
    except (RuntimeError, OSError, ValueError) as e:
        print(f"parity_check: {e}", file=sys.stderr)
        return 1

    feature_cols = [c for c in built[0] if "__" in c and c not in header]
    show = [s for s in a.show.split(",") if s]
    print(f"{'#':>3}  " + "  ".join(f"{k:<10}" for k in keys) + f"  {'as of':<20}  "
          + "  ".join(f"{s:>{max(len(s), 6)}}" for s in show) + "  agree")
    mismatches = []
    for i, (r, b, o) in enumerate(zip(rows, built, online), 1):
        agree = 0
        for col in feature_cols:
            view, name = col.split("__", 1)
            if name in o:
                value = o[name]
            elif f"{view}:{name}" in o:
                value = o[f"{view}:{name}"]
            else:
                mismatches.append((i, col, b[col], "(absent online)"))
                continue
            if same(b[col], value):
                agree += 1
            else:
                mismatches.append((i, col, b[col], shown(value)))
        cells = "  ".join(f"{shown(o.get(s)):>{max(len(s), 6)}}" for s in show)
        print(f"{i:>3}  " + "  ".join(f"{r[k]:<10}" for k in keys)
              + f"  {r[a.timestamp_column]:<20}  {cells}  {agree}/{len(feature_cols)}")
    for i, col, hist, onl in mismatches:
        print(f"MISMATCH row {i} {col}: historical '{hist}', online {onl}")
    ok = not mismatches
    print(f"parity: {len(rows)} rows x {len(feature_cols)} features, "
          + ("every value agrees" if ok else f"{len(mismatches)} values differ"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"rows": len(rows), "features": len(feature_cols),
                       "mismatches": len(mismatches), "ok": ok, "dataset": dataset}, f, indent=2)
            f.write("\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
