#!/usr/bin/python3
"""Checks the summary that examples/fraud/demo.sh writes (--summary-json).

The CTest examples.fraud_demo runs the demo at a small --rows and then this:
the model is in Production, its cross-validated AUC reaches --min-auc, the
exported scores CSV has rows (and as many as the batch scored), online and
historical values agree, every ingest count matches the generator's dirt,
labels fed back reached the batch's requests, and every sample transaction
got a score. Exit status 0 when all hold, else 1.

Usage: /usr/bin/python3 examples/fraud/check_demo.py SUMMARY.json [--min-auc 0.85]
"""

import argparse
import csv
import json
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("summary")
    p.add_argument("--min-auc", type=float, default=0.85)
    a = p.parse_args()
    s = json.load(open(a.summary))
    failures = []

    def check(ok, what):
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            failures.append(what)

    m = s.get("model", {})
    check(s.get("production_version") is not None and m.get("stage") == "Production"
          and s["production_version"] == m.get("version"),
          f"model {m.get('name')} version {m.get('version')} is in Production "
          f"(stage {m.get('stage')}, production version {s.get('production_version')})")
    check(m.get("auc", 0) >= a.min_auc,
          f"cross-validated AUC {m.get('auc', 0):.4f} >= {a.min_auc} (PR-AUC {m.get('pr_auc', 0):.4f})")
    b = s.get("batch", {})
    rows = 0
    try:
        with open(b.get("csv", ""), newline="") as f:
            rows = sum(1 for _ in csv.DictReader(f))
    except OSError as e:
        print(f"     cannot read the scores CSV: {e}")
    check(rows > 0 and rows == b.get("scored"),
          f"scores CSV {b.get('csv')} has {rows} rows (batch scored {b.get('scored')})")
    par = s.get("parity", {})
    check(bool(par.get("ok")) and par.get("rows", 0) > 0 and par.get("features", 0) > 0,
          f"parity: {par.get('rows')} rows x {par.get('features')} features, "
          f"{par.get('mismatches')} mismatches")
    ing = s.get("ingest_total", {})
    check(bool(ing.get("matches_generator")) and ing.get("rejected", 0) > 0,
          f"ingest: {ing.get('accepted')} accepted, {ing.get('rejected')} rejected, "
          f"{ing.get('duplicates')} duplicates, as the generator wrote")
    fb = s.get("feedback", {})
    check(fb.get("labelled", 0) > 0 and fb.get("labelled", 0) <= b.get("scored", 0),
          f"feedback: {fb.get('labelled')} of the batch's {b.get('scored')} requests labelled "
          f"({fb.get('positives')} fraud), live AUC {fb.get('auc')}")
    samples = s.get("samples", [])
    check(len(samples) > 0 and all(0 <= x.get("score", -1) <= 1 and x.get("risk_bucket")
                                   for x in samples),
          f"{len(samples)} sample transactions scored: "
          + ", ".join(f"{x['kind']} {x.get('score', float('nan')):.3f} {x.get('risk_bucket')}"
                      for x in samples))
    lat = s.get("latency", {})
    check(lat.get("score", {}).get("p50_us", 0) > 0, "latency measured")
    check(bool(s.get("ok")), "the demo's own verdict is ok")
    if failures:
        print(f"check_demo: {len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("check_demo: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
