#!/usr/bin/python3
"""Bookkeeping steps of examples/fraud/demo.sh (not a user-facing tool).

Each subcommand reads what a step produced, prints a short human report and
merges its facts into a JSON state file (--state), from which `summary`
prints the demo's closing summary and writes the machine-readable one.

  ingest-report   check one source's ingest counts against the generator's
  known-labels    keep the labels that had arrived by the training cut-off
  pick-samples    a clean, an account-takeover and a device-farm transaction
  record-score    keep a sample's score, bucket and top reasons
  batch-report    the batch's bucket counts and its riskiest entities
  parity-rows     entity rows (keys, ts) for the online/historical parity check
  feedback-file   labels for the batch's scored entities, as chargebacks arrive
  summary         the closing summary (text and JSON)

Only /usr/bin/python3's standard library is used.
"""

import argparse
import collections
import csv
import json
import os
import random
import re
import sys
from datetime import datetime, timedelta, timezone

KINDS = ("clean", "takeover", "device_farm")
TYPE_NAMES = ["PAYMENT", "TRANSFER", "CASH_OUT", "CASH_IN", "DEBIT"]
RULE_OF_DIRT = {"bad_timestamp": "type", "negative": "min", "unknown_enum": "allowed",
                "missing_key": "not_null"}


def parse_ts(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def parse_iso_us(text):
    """'2026-11-23T18:05:58.561391Z' or '...:58Z' -> aware datetime."""
    text = text.rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in text else "%Y-%m-%dT%H:%M:%S"
    return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def load_state(path):
    if path and os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {}


def save_state(path, state):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def merge(path, **facts):
    state = load_state(path)
    for k, v in facts.items():
        if isinstance(v, dict) and isinstance(state.get(k), dict):
            state[k].update(v)
        else:
            state[k] = v
    save_state(path, state)


# -- ingest ---------------------------------------------------------------------

def ingest_report(a):
    text = open(a.ingest_out).read()
    m = re.search(r": (\d+) rows, (\d+) accepted, (\d+) rejected, (\d+) duplicates", text)
    if not m:
        print(f"  cannot read the ingest summary of {a.source}:\n{text}", file=sys.stderr)
        return 1
    rows, accepted, rejected, duplicates = map(int, m.groups())
    dead = json.load(open(a.dead))
    rules = collections.Counter(d["rule"] for d in dead["dead_letters"])
    t = json.load(open(a.generator_summary))["tables"][a.source]
    dirt = t["dirt"]
    want = {"accepted": t["clean"], "duplicates": dirt.get("duplicate", 0),
            "rejected": sum(v for k, v in dirt.items() if k != "duplicate")}
    want_rules = {RULE_OF_DIRT[k]: v for k, v in dirt.items() if k != "duplicate" and v}
    got = {"accepted": accepted, "rejected": rejected, "duplicates": duplicates}
    secs = float(a.secs)
    print(f"  -> dead letters by rule: "
          f"{', '.join(f'{k} {v}' for k, v in sorted(rules.items())) or 'none'}; "
          f"{rows / max(secs, 1e-9):,.0f} rows/s" + ("; counts as the generator wrote" if
                                                       got == want else ""))
    ok = True
    if got != want:
        print(f"  MISMATCH {a.source}: store counted {got}, the generator wrote {want}",
              file=sys.stderr)
        ok = False
    if dict(rules) != want_rules or dead["total"] != rejected:
        print(f"  MISMATCH {a.source}: dead letters {dict(rules)} (total {dead['total']}), "
              f"expected {want_rules}", file=sys.stderr)
        ok = False
    state = load_state(a.state)
    ingest = state.get("ingest", {})
    ingest[a.source] = {"rows": rows, "accepted": accepted, "rejected": rejected,
                        "duplicates": duplicates, "rules": dict(sorted(rules.items())),
                        "seconds": round(secs, 2), "matches_generator": ok}
    state["ingest"] = ingest
    save_state(a.state, state)
    return 0 if ok else 1


# -- labels ---------------------------------------------------------------------

def known_labels(a):
    cutoff = parse_iso_us(a.cutoff)
    with open(a.labels, newline="") as f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames
        rows = list(reader)
    known = [r for r in rows if parse_ts(r["label_ts"]) < cutoff]
    with open(a.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(known)
    pos_all = sum(r["label"] == "1" for r in rows)
    pos = sum(r["label"] == "1" for r in known)
    old = [r for r in known if r["label"] == "0"]
    newest_neg = max((r["ts"] for r in old), default="-")
    print(f"  {len(known)} of {len(rows)} labelled transactions have their label by the cut-off "
          f"{iso(cutoff)}: {pos} chargebacks/confirmed abuse (of {pos_all} eventually) and "
          f"{len(known) - pos} final negatives (a transaction is final-negative 21 days after it "
          f"happened; the newest here is from {newest_neg}).")
    merge(a.state, training={"labels_total": len(rows), "labels_known": len(known),
                             "positives_known": pos, "positives_total": pos_all,
                             "cutoff": iso(cutoff), "labels_file": a.out})
    return 0


# -- samples --------------------------------------------------------------------

def pick_samples(a):
    d = a.data
    truth = {}
    with open(os.path.join(d, "truth.csv"), newline="") as f:
        for r in csv.DictReader(f):
            truth[r["event_id"]] = r["pattern"]
    signup = {}
    with open(os.path.join(d, "accounts.csv"), newline="") as f:
        for r in csv.DictReader(f):
            if r["account_id"] and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["signup_ts"]):
                signup.setdefault(r["account_id"], r["signup_ts"])
    seen = {}
    with open(os.path.join(d, "devices.csv"), newline="") as f:
        for r in csv.DictReader(f):
            if r["device_id"] and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                                               r["first_seen_ts"]):
                seen.setdefault(r["device_id"], r["first_seen_ts"])
    with open(os.path.join(d, "labels.csv"), newline="") as f:
        labels = list(csv.DictReader(f))
    # Online reads reach back about a day before the newest event (older
    # state is reclaimed; featurestore/README.md), so the samples, scored as
    # of their own ts, come from the data's last 23 hours.
    recent_from = parse_iso_us(a.now) - timedelta(hours=23)
    labels = [r for r in labels if parse_ts(r["ts"]) >= recent_from]
    month = timedelta(days=30)

    def established(r):
        t = parse_ts(r["ts"])
        return (r["account_id"] in signup and parse_ts(signup[r["account_id"]]) < t - month
                and r["device_id"] in seen and parse_ts(seen[r["device_id"]]) < t - month)

    money_out = {"1", "2"}  # TRANSFER, CASH_OUT
    rules = {
        # An established player (signed up over a month ago) moving money from
        # the phone they have used for over a month.
        "clean": [lambda r: (r["event_id"] not in truth and r["label"] == "0"
                             and r["type_code"] in money_out and established(r))],
        # A takeover from a phone first seen shortly before, else any takeover.
        "takeover": [lambda r: truth.get(r["event_id"]) == "ato_new_device",
                     lambda r: truth.get(r["event_id"], "").startswith("ato_")],
        # A device-farm account moving its gift-card money out.
        "device_farm": [lambda r: truth.get(r["event_id"]) == "farm"],
    }
    chosen = []
    for kind in KINDS:
        for rule in rules[kind]:
            match = [r for r in labels if rule(r) and r["type_code"] in money_out
                     and (kind == "clean" or r["label"] == "1")]
            if match:
                break
        if not match:
            print(f"  ({kind}: no such transaction in the data's last 23 hours at this --rows; "
                  "skipped)")
            continue
        r = match[-1]  # labels.csv is in time order: the latest one
        chosen.append(dict(kind=kind, event_id=r["event_id"], account_id=r["account_id"],
                           device_id=r["device_id"], ts=r["ts"], amount=r["amount"],
                           type_code=r["type_code"], type=r["type"], label=r["label"],
                           pattern=truth.get(r["event_id"], "legit")))
    if not chosen:
        print("  no sample transactions in the data's last 23 hours", file=sys.stderr)
        return 1
    with open(a.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(chosen[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(chosen)
    for c in chosen:
        print(f"  {c['kind']:<12} {c['event_id']}  {c['account_id']} on {c['device_id']}  "
              f"{c['ts']}  {c['type']:<8} {c['amount']:>9}  label {c['label']} ({c['pattern']})")
    return 0


def record_score(a):
    r = json.load(open(a.json))
    top = [f"{c['feature'].split(':')[-1]} {c['contribution']:+.2f}"
           for c in sorted(r.get("contributions", []), key=lambda c: -abs(c["contribution"]))[:3]]
    state = load_state(a.state)
    samples = state.get("samples", [])
    with open(a.samples, newline="") as f:
        sample = next(s for s in csv.DictReader(f) if s["kind"] == a.kind)
    sample.update(score=r["score"], risk_bucket=r["risk_bucket"], model_version=r["version"],
                  scored_at=a.at, top_reasons=top)
    samples = [s for s in samples if s["kind"] != a.kind] + [sample]
    state["samples"] = samples
    save_state(a.state, state)
    return 0


# -- batch ----------------------------------------------------------------------

def batch_report(a):
    text = open(a.text).read()
    m = re.search(r"scored (\d+) entities with (\S+):(\d+) into batch (\S+)", text)
    if not m:
        print(f"  cannot read the batch-score output:\n{text}", file=sys.stderr)
        return 1
    scored, model, version, batch_id = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
    buckets = {k: int(v) for k, v in re.findall(r"^\s+(\w+): (\d+)$", text, re.M)}
    with open(a.csv, newline="") as f:
        rows = list(csv.DictReader(f))
    rows.sort(key=lambda r: -float(r["fraud_score"]))
    print(f"  {len(rows)} rows in {a.csv}; the riskiest five:")
    for r in rows[:5]:
        print(f"    {r['account_id']}  {r['device_id']}  {float(r['fraud_score']):.4f}  "
              f"{r['risk_bucket']}")
    merge(a.state, batch={"batch_id": batch_id, "scored": scored, "buckets": buckets,
                          "csv": a.csv, "csv_rows": len(rows), "model": model,
                          "model_version": version, "lookback": a.lookback})
    if len(rows) != scored:
        print(f"  the export holds {len(rows)} rows for {scored} scored", file=sys.stderr)
        return 1
    return 0 if rows else 1


def record_json(a):
    merge(a.state, **{a.key: json.load(open(a.file))})
    return 0


def record_model(a):
    d = json.load(open(a.models_json))
    v = next(v for v in d["versions"] if v["version"] == a.version)
    m = v["metrics"]
    gate = d["model"].get("production_gate") or {}
    prod = [x["version"] for x in d["versions"] if x["stage"] == "Production"]
    merge(a.state, model={"name": d["model"]["name"], "version": v["version"],
                          "stage": v["stage"], "auc": m["auc"], "auc_std": m.get("auc_std"),
                          "pr_auc": m["pr_auc"], "oof_auc": m.get("oof_auc"),
                          "folds": int(m.get("folds", 0)), "rows": int(m.get("rows", 0)),
                          "positives": int(m.get("positives", 0)),
                          "fold_auc": [m[k] for k in sorted(m) if re.fullmatch(r"fold_\d+_auc", k)],
                          "gate": ", ".join(f"{k}>={g}" for k, g in gate.items()),
                          "snapshot": v.get("training_snapshot"),
                          "dataset_fingerprint": v.get("dataset_fingerprint"),
                          "risk_thresholds": v.get("risk_thresholds")},
          production_version=prod[0] if prod else None)
    return 0


def parity_rows(a):
    """The samples at their ts, a seeded handful of the last 23 hours'
    transactions at theirs (online reads reach back about a day), and a few
    of the batch's entities as of the snapshot time."""
    out = []
    with open(a.samples, newline="") as f:
        for s in csv.DictReader(f):
            out.append((s["account_id"], s["device_id"], s["ts"]))
    at = parse_iso_us(a.at)
    with open(a.labels, newline="") as f:
        recent = [r for r in csv.DictReader(f)
                  if parse_ts(r["ts"]) >= at - timedelta(hours=23)]
    rng = random.Random(a.seed)
    recent = [r for r in recent if (r["account_id"], r["device_id"], r["ts"]) not in out]
    for r in sorted(rng.sample(recent, min(a.random, len(recent))), key=lambda r: r["ts"]):
        out.append((r["account_id"], r["device_id"], r["ts"]))
    with open(a.scores, newline="") as f:
        scores = list(csv.DictReader(f))
    for r in rng.sample(scores, min(a.current, len(scores))):
        out.append((r["account_id"], r["device_id"], iso(at)))
    with open(a.out, "w", newline="") as f:
        f.write("account_id,device_id,ts\n")
        for row in out:
            f.write(",".join(row) + "\n")
    return 0


# -- summary --------------------------------------------------------------------

def summary(a):
    s = load_state(a.state)
    timings = {}
    if a.timings and os.path.exists(a.timings):
        for line in open(a.timings):
            k, v = line.split()
            timings[k] = round(float(v), 2)
    s["seconds"] = timings
    ing = s.get("ingest", {})
    tot = {k: sum(v[k] for v in ing.values()) for k in ("rows", "accepted", "rejected",
                                                        "duplicates")}
    rules = collections.Counter()
    for v in ing.values():
        rules.update(v["rules"])
    s["ingest_total"] = dict(tot, rules=dict(sorted(rules.items())),
                             matches_generator=all(v["matches_generator"] for v in ing.values()))
    ok = (s.get("production_version") is not None and s.get("parity", {}).get("ok")
          and s.get("batch", {}).get("csv_rows", 0) > 0 and s["ingest_total"]["matches_generator"]
          and s.get("feedback", {}).get("labelled", 0) > 0)
    s["ok"] = bool(ok)
    with open(a.out, "w") as f:
        json.dump(s, f, indent=2, sort_keys=True)
        f.write("\n")

    g = s.get("generate", {})
    t = s.get("training", {})
    m = s.get("model", {})
    b = s.get("batch", {})
    p = s.get("parity", {})
    lat = s.get("latency", {})
    w = 10
    lines = []
    lines.append(f"{'data':<{w}}{g.get('rows')} transactions (seed {g.get('seed')}), "
                 f"{sum(t['written'] for t in g.get('tables', {}).values())} rows in "
                 f"{len(g.get('tables', {}))} tables, events {g.get('start')} .. {g.get('end')}")
    ing_secs = sum(v["seconds"] for v in ing.values())
    lines.append(f"{'ingest':<{w}}{tot['accepted']} accepted, {tot['rejected']} rejected ("
                 + ", ".join(f"{k} {v}" for k, v in sorted(rules.items()))
                 + f"), {tot['duplicates']} duplicates; {tot['rows'] / max(ing_secs, 1e-9):,.0f} "
                 f"rows/s over {ing_secs:.1f}s (fsctl deadletters SOURCE lists the rejections)")
    lines.append(f"{'training':<{w}}{t.get('labels_known')} of {t.get('labels_total')} labels known "
                 f"at the cut-off ({t.get('positives_known')} positive), snapshot "
                 f"{m.get('snapshot')}")
    lines.append(f"{'model':<{w}}{m.get('name')} version {m.get('version')}: {m.get('folds')}-fold "
                 f"CV AUC {m.get('auc', 0):.4f} (+-{m.get('auc_std', 0):.4f}), PR-AUC "
                 f"{m.get('pr_auc', 0):.4f}; in {m.get('stage')} (gate {m.get('gate')})")
    for i, smp in enumerate(s.get("samples", [])):
        head = "samples" if i == 0 else ""
        lines.append(f"{head:<{w}}{smp['kind']:<12} {smp['account_id']}/{smp['device_id']} "
                     f"{smp['type']:<8} {smp['amount']:>9}  score {smp['score']:.4f} "
                     f"{smp['risk_bucket']:<6} label {smp['label']}  "
                     f"[{', '.join(smp['top_reasons'])}]")
    if b:
        lines.append(f"{'batch':<{w}}{b['scored']} entities active in the last {b['lookback']} "
                     "scored (" + ", ".join(f"{k} {v}" for k, v in sorted(
                         b["buckets"].items(), key=lambda kv: -kv[1]))
                     + f"); {b['csv_rows']} rows in {b['csv']}")
    if p:
        lines.append(f"{'parity':<{w}}{p['rows']} rows x {p['features']} features: "
                     + ("online == historical, every value" if p["ok"] else
                        f"{p['mismatches']} MISMATCHES"))
    if lat:
        sc, ex, hc = lat["score"], lat["score_explain_fast"], lat["health_check"]
        lines.append(f"{'latency':<{w}}Score p50 {sc['p50_us'] / 1000:.2f} ms, p99 "
                     f"{sc['p99_us'] / 1000:.2f} ms over {lat['calls']} calls (explain FAST p50 "
                     f"{ex['p50_us'] / 1000:.2f} ms; an empty health check p50 "
                     f"{hc['p50_us'] / 1000:.2f} ms): Python grpcio client round trips")
    fb = s.get("feedback", {})
    if fb:
        auc = fb.get("auc")
        prec = fb.get("precision_at_high")
        lines.append(f"{'feedback':<{w}}{fb['labelled']} batch requests labelled ({fb['positives']} "
                     f"fraud): live AUC " + (f"{auc:.4f}" if auc is not None else "n/a")
                     + f", {fb['alerts']} in {fb['high_bucket'] or 'the top bucket'} with "
                     + (f"precision {prec:.2f}" if prec is not None else "no alerts"))
    if timings:
        total = timings.get("total", sum(timings.values()))
        lines.append(f"{'time':<{w}}{total:.0f}s: " + ", ".join(
            f"{k} {v:.1f}s" for k, v in timings.items() if k != "total"))
    lines.append(f"{'outputs':<{w}}{a.out_dir}")
    print("\n".join(lines))
    return 0 if ok else 1


# -- feedback -------------------------------------------------------------------

def feedback_file(a):
    """request_id,label for each batch-scored (account, device) that made a
    labelled transaction in the lookback: 1 when any of them turned out fraud
    (labels arrive days later; here every label eventually known is used)."""
    cutoff = parse_iso_us(a.cutoff)
    since = cutoff - timedelta(hours=a.lookback_hours)
    outcome = {}
    with open(a.labels, newline="") as f:
        for r in csv.DictReader(f):
            if since <= parse_ts(r["ts"]) < cutoff:
                key = (r["account_id"], r["device_id"])
                outcome[key] = max(outcome.get(key, 0), int(r["label"]))
    rows = []
    with open(a.scores, newline="") as f:
        for r in csv.DictReader(f):
            key = (r["account_id"], r["device_id"])
            if key in outcome:
                # Batch request ids are the batch id and the entity's keys in
                # key order (account_id, device_id).
                rows.append((f"{a.batch_id}/{key[0]}/{key[1]}", outcome[key]))
    with open(a.out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["request_id", "label"])
        w.writerows(rows)
    print(f"  {len(rows)} of the batch's entities made a labelled transaction in the window; "
          f"{sum(l for _, l in rows)} turned out fraud")
    return 0 if rows else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    c = sub.add_parser("ingest-report")
    c.add_argument("--source", required=True)
    c.add_argument("--ingest-out", required=True)
    c.add_argument("--dead", required=True)
    c.add_argument("--generator-summary", required=True)
    c.add_argument("--secs", required=True)
    c.add_argument("--state", required=True)

    c = sub.add_parser("known-labels")
    c.add_argument("--labels", required=True)
    c.add_argument("--cutoff", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--state", required=True)

    c = sub.add_parser("pick-samples")
    c.add_argument("--data", required=True)
    c.add_argument("--now", required=True)
    c.add_argument("--out", required=True)

    c = sub.add_parser("record-score")
    c.add_argument("--kind", required=True)
    c.add_argument("--json", required=True)
    c.add_argument("--samples", required=True)
    c.add_argument("--at", required=True)
    c.add_argument("--state", required=True)

    c = sub.add_parser("batch-report")
    c.add_argument("--text", required=True)
    c.add_argument("--csv", required=True)
    c.add_argument("--lookback", required=True)
    c.add_argument("--state", required=True)

    c = sub.add_parser("parity-rows")
    c.add_argument("--samples", required=True)
    c.add_argument("--labels", required=True)
    c.add_argument("--scores", required=True)
    c.add_argument("--at", required=True)
    c.add_argument("--seed", type=int, default=7)
    c.add_argument("--random", type=int, default=7)
    c.add_argument("--current", type=int, default=2)
    c.add_argument("--out", required=True)

    c = sub.add_parser("feedback-file")
    c.add_argument("--scores", required=True)
    c.add_argument("--labels", required=True)
    c.add_argument("--batch-id", required=True)
    c.add_argument("--cutoff", required=True)
    c.add_argument("--lookback-hours", type=int, default=24)
    c.add_argument("--out", required=True)

    c = sub.add_parser("record-json")
    c.add_argument("--state", required=True)
    c.add_argument("--key", required=True)
    c.add_argument("--file", required=True)

    c = sub.add_parser("record-model")
    c.add_argument("--state", required=True)
    c.add_argument("--models-json", required=True)
    c.add_argument("--version", type=int, required=True)

    c = sub.add_parser("summary")
    c.add_argument("--state", required=True)
    c.add_argument("--timings")
    c.add_argument("--out", required=True)
    c.add_argument("--out-dir", required=True)

    a = p.parse_args()
    fn = {"ingest-report": ingest_report, "known-labels": known_labels,
          "pick-samples": pick_samples, "record-score": record_score,
          "batch-report": batch_report, "parity-rows": parity_rows, "summary": summary,
          "record-json": record_json, "record-model": record_model,
          "feedback-file": feedback_file}[a.cmd]
    return fn(a)


if __name__ == "__main__":
    sys.exit(main())
