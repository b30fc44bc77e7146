#!/usr/bin/python3
"""Quick signal check of generated fraud data, with pandas and numpy only.

Cleans the raw CSVs the way ingest would (drops rows with malformed
timestamps, negative numbers, unknown enum values, empty keys; keeps the first
of each event_id), computes a few features point-in-time for every labelled
transaction (window [ts - w, ts), strictly before the transaction, like the
feature store), and prints the rank AUC of each single feature against the
label, plus a logistic regression over all of them (trained on the first 70%
of labels by time, AUC on the last 30%) broken down by fraud pattern.

Exit status 1 when the fraud rate is outside --fraud-range or no single
feature reaches --min-auc.

Usage: /usr/bin/python3 examples/fraud/check_signal.py DIR [--min-auc 0.7]
"""

import argparse
import sys
import time

import numpy as np
import pandas as pd

HOUR = 3600
DAY = 86400

ENUMS = {
    "accounts": {"country": ["US", "CA", "GB", "DE", "FR", "BR", "MX", "IN", "PH", "AU"],
                 "referral": ["organic", "ad", "friend", "offerwall"]},
    "devices": {"os": ["android", "ios"]},
    "sessions": {"app": ["match3", "solitaire", "bingo", "word_puzzle", "idle_rpg", "trivia"]},
    "rewards": {"reason": ["play_time", "daily_bonus", "level_up", "offer", "referral"]},
    "redemptions": {"card": ["amazon", "google_play", "visa", "steam", "starbucks"]},
    "transactions": {"type": ["PAYMENT", "TRANSFER", "CASH_OUT", "CASH_IN", "DEBIT"]},
}
NUMERIC = {"sessions": ["minutes_played"], "rewards": ["points"], "redemptions": ["value"],
           "transactions": ["amount", "old_balance", "new_balance"]}
TS = {"accounts": "signup_ts", "devices": "first_seen_ts", "sessions": "start_ts"}


def load(d, name):
    """A source's rows as ingest would accept them; ts in epoch seconds."""
    df = pd.read_csv(f"{d}/{name}.csv", dtype=str, keep_default_na=False)
    n = len(df)
    ok = np.ones(n, bool)
    for c in df.columns:
        ok &= (df[c] != "").to_numpy()
    tcol = TS.get(name, "ts")
    t = pd.to_datetime(df[tcol], format="%Y-%m-%dT%H:%M:%SZ", errors="coerce")
    ok &= t.notna().to_numpy()
    for c in NUMERIC.get(name, []):
        x = pd.to_numeric(df[c], errors="coerce")
        ok &= (x >= 0).fillna(False).to_numpy()
        df[c] = x
    for c, allowed in ENUMS.get(name, {}).items():
        ok &= df[c].isin(allowed).to_numpy()
    df["t"] = (t.to_numpy().astype("datetime64[s]").astype(np.int64))
    df = df[ok]
    rejected = n - len(df)
    dup = df["event_id"].duplicated().to_numpy()
    df = df[~dup].reset_index(drop=True)
    return df, rejected, int(dup.sum())


class Windows:
    """Point-in-time window aggregates of one event table keyed by `key`."""

    def __init__(self, events, key, queries_key, span):
        self.key = key
        codes, uniques = pd.factorize(pd.concat([events[key], queries_key], ignore_index=True))
        self.ev_code = codes[:len(events)]
        self.q_code = codes[len(events):]
        self.t = events["t"].to_numpy()
        self.base = self.t.min() - 40 * DAY
        self.span = span
        comp = self.ev_code.astype(np.int64) * span + (self.t - self.base)
        self.order = np.argsort(comp, kind="stable")
        self.comp = comp[self.order]
        self.events = events

    def bounds(self, q_t, w):
        q = self.q_code.astype(np.int64) * self.span + (q_t - self.base)
        hi = np.searchsorted(self.comp, q, "left")
        lo = np.searchsorted(self.comp, q - w, "left")
        return lo, hi

    def count(self, q_t, w, mask=None):
        lo, hi = self.bounds(q_t, w)
        if mask is None:
            return (hi - lo).astype(float)
        c = np.r_[0, np.cumsum(mask[self.order])]
        return (c[hi] - c[lo]).astype(float)

    def sum(self, q_t, w, values):
        lo, hi = self.bounds(q_t, w)
        c = np.r_[0.0, np.cumsum(np.asarray(values, float)[self.order])]
        return c[hi] - c[lo]

    def distinct(self, q_t, w, other):
        """Distinct values of column `other` in the window: events whose
        previous event of the same (key, other) pair is before the window."""
        lo, hi = self.bounds(q_t, w)
        pair = pd.factorize(self.events[self.key].astype(str) + "|" + self.events[other])[0]
        p = pair[self.order]
        t = self.t[self.order]
        prev = pd.Series(t).groupby(p).shift(1).fillna(-1e18).to_numpy()
        start = q_t - w
        out = np.empty(len(q_t))
        for i in range(len(q_t)):
            out[i] = np.count_nonzero(prev[lo[i]:hi[i]] < start[i])
        return out


def auc(score, y):
    r = pd.Series(score).rank(method="average").to_numpy()
    npos = int(y.sum())
    nneg = len(y) - npos
    if npos == 0 or nneg == 0:
        return float("nan")
    return (r[y == 1].sum() - npos * (npos + 1) / 2) / (npos * nneg)


def logistic(X, y, iters=25, ridge=1e-3):
    X = np.c_[np.ones(len(X)), X]
    w = np.zeros(X.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(X @ w, -30, 30)))
        g = X.T @ (p - y) + ridge * w
        H = (X * (p * (1 - p))[:, None]).T @ X + ridge * np.eye(X.shape[1])
        w -= np.linalg.solve(H, g)
    return w


# pandas feature -> the fraud_v1 column holding the same value.
PARITY = {
    "acct transfers 1h": "acct_txn__xfer_n_1h",
    "acct txns 1h": "acct_txn__txn_n_1h",
    "acct amount 24h": "acct_txn__amt_sum_24h",
    "acct devices 24h": "acct_txn__dev_distinct_24h",
    "device accounts 7d": "dev_txn__dev_acct_distinct_7d",
    "device new 24h": "dev_profile__dev_new_24h",
    "device new 7d": "dev_profile__dev_new_7d",
    "device is_emulator": "dev_profile__is_emulator",
    "acct signup 7d": "acct_profile__signup_7d",
    "acct redemptions 24h": "acct_redeem__redeem_n_24h",
    "acct redemptions 7d": "acct_redeem__redeem_n_7d",
    "amount (request)": "amount",
}


def parity(path, feats, points, minutes):
    """Compares the feature store's point-in-time values with pandas'."""
    ds = pd.read_csv(path, dtype=str, keep_default_na=False)

    def num(c):
        col = ds[c].str.lower().replace({"true": "1", "false": "0", "": "0"})
        return pd.to_numeric(col).to_numpy(float)

    pairs = dict(PARITY)
    theirs = {k: num(v) for k, v in pairs.items() if v in ds.columns}
    missing = [v for v in pairs.values() if v not in ds.columns]
    theirs["acct points 7d"] = num("acct_rewards__points_7d")
    theirs["acct minutes 7d"] = num("acct_play__play_min_7d")
    mine = dict(feats)
    mine["acct points 7d"] = points
    mine["acct minutes 7d"] = minutes
    ok = not missing and len(ds) == len(next(iter(feats.values())))
    bad = []
    for k, v in theirs.items():
        diff = ~np.isclose(v, mine[k], rtol=1e-9, atol=1e-6)
        if diff.any():
            i = int(np.flatnonzero(diff)[0])
            bad.append(f"{k}: {int(diff.sum())} rows differ (row {i + 1}: store {v[i]} pandas {mine[k][i]})")
    print(f"parity with {path} ({len(ds)} rows, {len(theirs)} features): "
          + ("all equal" if not bad and ok else "MISMATCH"))
    for b in bad:
        print("  " + b)
    if missing:
        print(f"  columns missing from the dataset: {missing}")
    return ok and not bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--min-auc", type=float, default=0.7)
    ap.add_argument("--fraud-range", type=float, nargs=2, default=[0.01, 0.02])
    ap.add_argument("--dataset", help="a training set built by `fsctl dataset build --service "
                    "fraud_v1 --entities DIR/labels.csv`: its columns must equal the pandas values")
    args = ap.parse_args()
    t_start = time.monotonic()
    d = args.dir
    src = {}
    for name in ("accounts", "devices", "sessions", "rewards", "redemptions", "transactions"):
        src[name], rej, dup = load(d, name)
        print(f"  pandas clean {name:<13} {len(src[name]):>8} rows (dropped {rej} bad, {dup} duplicate)")
    lab = pd.read_csv(f"{d}/labels.csv", dtype={"account_id": str, "device_id": str})
    lab["t"] = pd.to_datetime(lab["ts"], format="%Y-%m-%dT%H:%M:%SZ").to_numpy().astype(
        "datetime64[s]").astype(np.int64)
    y = lab["label"].to_numpy()
    T = lab["t"].to_numpy()
    rate = y.mean()
    span = 2000 * DAY
    tx = src["transactions"]
    feats = {}
    w_acct = Windows(tx, "account_id", lab["account_id"], span)
    w_dev = Windows(tx, "device_id", lab["device_id"], span)
    is_xfer = (tx["type"] == "TRANSFER").to_numpy()
    feats["acct transfers 1h"] = w_acct.count(T, HOUR, is_xfer)
    feats["acct txns 1h"] = w_acct.count(T, HOUR)
    feats["acct amount 24h"] = w_acct.sum(T, DAY, tx["amount"])
    feats["acct devices 24h"] = w_acct.distinct(T, DAY, "device_id")
    feats["device accounts 7d"] = w_dev.distinct(T, 7 * DAY, "account_id")
    feats["device txns 24h"] = w_dev.count(T, DAY)
    dv = src["devices"]
    w = Windows(dv, "device_id", lab["device_id"], span)
    feats["device new 24h"] = w.count(T, DAY)
    feats["device new 7d"] = w.count(T, 7 * DAY)
    emu = dv.set_index("device_id")["is_emulator"] == "true"
    feats["device is_emulator"] = lab["device_id"].map(emu).fillna(False).astype(float).to_numpy()
    ac = src["accounts"]
    feats["acct signup 7d"] = Windows(ac, "account_id", lab["account_id"], span).count(T, 7 * DAY)
    rw = src["rewards"]
    se = src["sessions"]
    points = Windows(rw, "account_id", lab["account_id"], span).sum(T, 7 * DAY, rw["points"])
    minutes = Windows(se, "account_id", lab["account_id"], span).sum(T, 7 * DAY, se["minutes_played"])
    feats["points per minute 7d"] = points / (minutes + 1)
    rd = src["redemptions"]
    w = Windows(rd, "account_id", lab["account_id"], span)
    feats["acct redemptions 24h"] = w.count(T, DAY)
    feats["acct redemptions 7d"] = w.count(T, 7 * DAY)
    feats["amount (request)"] = lab["amount"].to_numpy(float)

    print(f"labels: {len(y)} rows, {int(y.sum())} positive, fraud rate {100 * rate:.2f}%")
    print("single-feature AUC (rank; point-in-time, window [ts-w, ts)):")
    best = 0.0
    for k, v in feats.items():
        a = auc(v, y)
        best = max(best, a)
        print(f"  {k:<24} {a:.3f}   mean pos {v[y == 1].mean():9.2f}  neg {v[y == 0].mean():9.2f}")

    X = np.column_stack([np.log1p(np.maximum(v, 0)) for v in feats.values()]
                        + [(lab["type_code"].to_numpy()[:, None] == np.arange(5)).astype(float)])
    mu, sd = X.mean(0), X.std(0) + 1e-9
    X = (X - mu) / sd
    cut = np.quantile(T, 0.7)
    tr, te = T < cut, T >= cut
    wts = logistic(X[tr], y[tr])
    score = np.c_[np.ones(len(X)), X] @ wts
    print(f"logistic regression on these {len(feats)} features + type one-hot: AUC {auc(score[te], y[te]):.3f} "
          f"on the last 30% by time (train {auc(score[tr], y[tr]):.3f})")
    try:
        truth = pd.read_csv(f"{d}/truth.csv")
        pat = lab["event_id"].map(truth.set_index("event_id")["pattern"]).fillna("legit").to_numpy()
        neg = te & (y == 0)
        parts = []
        for p in sorted(set(pat[te & (y == 1)])):
            m = te & (y == 1) & (pat == p)
            s = np.r_[score[m], score[neg]]
            parts.append(f"{p} {auc(s, np.r_[np.ones(m.sum()), np.zeros(neg.sum())]):.3f} (n={m.sum()})")
        print("  by pattern (positives of the pattern vs all negatives): " + ", ".join(parts))
    except FileNotFoundError:
        pass
    ok = True
    if args.dataset:
        ok = parity(args.dataset, feats, points, minutes) and ok
    print(f"signal check took {time.monotonic() - t_start:.1f}s")
    lo, hi = args.fraud_range
    if not lo <= rate <= hi:
        print(f"FAIL: fraud rate {rate:.4f} outside [{lo}, {hi}]")
        ok = False
    if best < args.min_auc:
        print(f"FAIL: no single feature reaches AUC {args.min_auc} (best {best:.3f})")
        ok = False
    if ok:
        print(f"OK: fraud rate {100 * rate:.2f}% in range; best single-feature AUC {best:.3f} >= {args.min_auc}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
