#!/usr/bin/python3
"""Seeded generator of the fraud example's raw data (examples/fraud/).

A mobile-rewards app (players earn points for play time, offers and referrals
and redeem them for gift cards) with a payments ledger (PaySim-like wallet
transactions). Writes one CSV per source of examples/fraud/features.yaml plus
the training labels:

  accounts.csv      event_id, account_id, signup_ts, country, referral
  devices.csv       event_id, device_id, first_seen_ts, os, is_emulator, is_rooted
  sessions.csv      event_id, account_id, device_id, start_ts, minutes_played, app
  rewards.csv       event_id, account_id, ts, points, reason
  redemptions.csv   event_id, account_id, device_id, ts, value, card
  transactions.csv  event_id, ts, account_id, device_id, type, amount, dest_id,
                    old_balance, new_balance
  labels.csv        event_id, account_id, device_id, ts, amount, type, type_code,
                    label, label_ts      (one row per clean transaction)
  truth.csv         event_id, pattern, label   (ground truth of the fraud and
                    friendly-chargeback rows, for analysis only; not a model input)

--rows N is the number of clean transactions (= rows of labels.csv). The other
tables scale with it: about 0.56 N sessions, 0.5 N rewards, 0.03 N redemptions,
0.06 N accounts and devices; all tables together hold about 2.2 N rows (so
--rows 460000 writes about 1M rows). Dirty rows (--dirt) come on top. Events
span --days (28) from --start; signups and first sightings go back further.

Fraud patterns (label 1; about 1.6% of labelled transactions with the noise):
  ato        account takeover of an established account, from a new phone
             (first seen minutes before, or at a probing login 1-20 days
             before), from an attacker's phone used on several victims, or
             from the victim's own stolen phone: an optional test payment,
             1-6 transfers to mule accounts, then cash-outs draining the
             balance; sometimes a gift-card redemption of the victim's points.
             One in five is slow (hours between steps).
  farm       device farms: 3-30 accounts (a quarter of farms use aged accounts
             signed up weeks before), 2-7 per device (a third spoof a fresh
             device id per account), often emulators, signed
             up within 12 hours or over 4 days; short play, offer and referral
             points, gift cards redeemed within 4 days; money moved out by
             cash-in, transfer to a collector account, cash-out.
  abuse      single reward abusers (a third on aged accounts): short play but
             large offer points; greedy ones redeem within 36 h, patient ones
             play a little and redeem after 2-6 days; then cash-out/transfer.
Innocent look-alikes (label 0): players who get a new phone (40% of them move
money at once), families sharing a phone (new members join on it), players on
emulators or rooted phones, big legitimate transfers and bursts of payments,
newcomers from offer walls who do offers and redeem early, offer earners with
many points per minute, cash-ins right after a redemption, players who cash
out their whole balance.
Label noise: 4% of fraud is never reported (label 0) and 0.15% of legitimate
transactions get a "friendly fraud" chargeback (label 1).

label_ts is when the label became known: chargebacks arrive 1-20 days after the
transaction, abuse confirmations 1-14 days; a negative label is final when the
21-day chargeback window closes (label_ts = ts + 21d).

Request fields for scoring: amount (DOUBLE) and type_code (INT64: PAYMENT=0,
TRANSFER=1, CASH_OUT=2, CASH_IN=3, DEBIT=4), both in labels.csv.

Dirt (on purpose, counted): per table a fraction --dirt of extra rows, split
evenly over the kinds that apply: duplicate (an exact replay of a clean row:
same event_id), bad_timestamp (rule "type"), negative (amount/minutes/points/
value below 0: rule "min"), unknown_enum (rule "allowed"), missing_key (empty
entity key or event_id: rule "not_null"). Ingest must count exactly the
duplicates as duplicates and reject exactly the others.

Same arguments give byte-identical files (with the same numpy: Debian's 1.24).
Usage: /usr/bin/python3 examples/fraud/generate.py --rows 200000 --seed 7 --out DIR
"""

import argparse
import json
import os
import sys
import time

import numpy as np

DAY = 86400
HOUR = 3600
MINUTE = 60
INF = np.iinfo(np.int64).max // 4

TYPES = ["PAYMENT", "TRANSFER", "CASH_OUT", "CASH_IN", "DEBIT"]
PAYMENT, TRANSFER, CASH_OUT, CASH_IN, DEBIT = range(5)
LEGIT_TYPE_P = [0.42, 0.14, 0.16, 0.20, 0.08]
LEGIT_MEDIAN = np.array([25, 180, 120, 330, 60], float)  # dollars, by type
APPS = ["match3", "solitaire", "bingo", "word_puzzle", "idle_rpg", "trivia"]
REASONS = ["play_time", "daily_bonus", "level_up", "offer", "referral"]
PLAY_TIME, DAILY_BONUS, LEVEL_UP, OFFER, REFERRAL = range(5)
CARDS = ["amazon", "google_play", "visa", "steam", "starbucks"]
COUNTRIES = ["US", "CA", "GB", "DE", "FR", "BR", "MX", "IN", "PH", "AU"]
COUNTRY_P = [0.38, 0.08, 0.08, 0.07, 0.06, 0.08, 0.06, 0.08, 0.06, 0.05]
REFERRALS = ["organic", "ad", "friend", "offerwall"]
OSES = ["android", "ios"]

# Ground-truth pattern codes (truth.csv).
LEGIT, ATO_NEW, ATO_SHARED, ATO_OWN, FARM, ABUSE = range(6)
PATTERN_NAMES = ["legit", "ato_new_device", "ato_attacker_device", "ato_victim_device",
                 "farm", "reward_abuse"]

# Bogus values for unknown_enum dirt, per enum column.
BAD_ENUMS = {
    "type": ["REFUND", "payment", "CASHOUT", "TRANSFER ", "WIRE"],
    "app": ["unknown_app", "Match3", "slots", "solitaire2"],
    "reason": ["bonus", "PLAY_TIME", "cashback", "promo"],
    "card": ["paypal", "Amazon", "itunes", "giftcard"],
    "country": ["XX", "us", "UK", "ZZ"],
    "os": ["windows", "Android", "symbian", "linux"],
}


def parse_time(text):
    t = np.datetime64(text.rstrip("Z"), "s")
    return int(t.astype(np.int64))


def iso(t):
    """int64 epoch seconds -> list of 'YYYY-MM-DDTHH:MM:SSZ'."""
    return np.datetime_as_string(np.asarray(t, dtype=np.int64).astype("datetime64[s]"),
                                 unit="s", timezone="UTC").tolist()


def group_cumsum(values, counts):
    """Cumulative sums of `values` restarting at each group of `counts`."""
    c = np.cumsum(values)
    ends = np.cumsum(counts)
    starts = ends - counts
    offset = np.repeat(np.concatenate([[0], c])[starts], counts)
    return c - offset


def group_rank(counts):
    """0, 1, ... within each group of `counts`."""
    total = int(np.sum(counts))
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total) - starts


class Pool:
    """Column-wise rows appended in parts; add() returns the new rows' indices."""

    def __init__(self, *names):
        self.names = names
        self.parts = {n: [] for n in names}
        self.n = 0

    def add(self, **cols):
        m = None
        for v in cols.values():
            if np.ndim(v) > 0:
                m = len(v)
                break
        assert set(cols) == set(self.names), (set(cols), self.names)
        for k in self.names:
            self.parts[k].append(np.array(np.broadcast_to(np.asarray(cols[k]), (m,))))
        idx = np.arange(self.n, self.n + m)
        self.n += m
        return idx

    def get(self):
        return {k: np.concatenate(v) if v else np.array([]) for k, v in self.parts.items()}


class World:
    def __init__(self, args):
        self.rng = np.random.default_rng(args.seed)
        self.N = args.rows
        self.T0 = parse_time(args.start)
        self.D = int(args.days * DAY)
        self.T1 = self.T0 + self.D
        self.fraud_frac = args.fraud
        self.accounts = Pool("signup", "country", "referral", "kind")
        self.devices = Pool("first_seen", "os", "emu", "rooted")
        self.txns = Pool("t", "acct", "dev", "type", "cents", "dest_kind", "dest", "drain",
                         "pattern")
        self.sessions = Pool("t", "acct", "dev", "minutes", "app")
        self.rewards = Pool("t", "acct", "points", "reason")
        self.redemptions = Pool("t", "acct", "dev", "value", "card")

    # -- helpers ---------------------------------------------------------
    def u(self, n, lo=0.0, hi=1.0):
        return lo + (hi - lo) * self.rng.random(n)

    def ui(self, n, lo, hi):
        """Uniform int64 seconds in [lo, hi) (arrays or scalars)."""
        lo = np.asarray(lo, dtype=np.int64)
        hi = np.asarray(hi, dtype=np.int64)
        return lo + (self.rng.random(n) * np.maximum(hi - lo, 1)).astype(np.int64)

    def new_devices(self, first_seen, p_emu, p_rooted, p_android):
        n = len(first_seen)
        emu = self.rng.random(n) < p_emu
        rooted = self.rng.random(n) < p_rooted
        os_ = np.where(emu | (self.rng.random(n) < p_android), 0, 1)
        return self.devices.add(first_seen=np.asarray(first_seen, dtype=np.int64), os=os_,
                                emu=emu, rooted=rooted)

    def legit_device_at(self, acct, t):
        """The device a legitimate account uses at time t."""
        moved = (t >= self.switch_t[acct]) & (self.rng.random(len(acct)) > 0.05)
        return np.where(moved, self.d1[acct], self.d0[acct])

    # -- legitimate population ------------------------------------------
    def make_legit_accounts(self):
        rng, T0, T1 = self.rng, self.T0, self.T1
        nL = max(60, self.N // 18)
        self.nL = nL
        pre = rng.random(nL) < 0.85
        signup = np.where(pre, T0 - self.ui(nL, DAY, 400 * DAY),
                          T0 + self.ui(nL, 0, self.D - 2 * DAY))
        country = rng.choice(len(COUNTRIES), nL, p=COUNTRY_P)
        referral = rng.choice(4, nL, p=[0.6, 0.25, 0.1, 0.05])
        self.legit = self.accounts.add(signup=signup, country=country, referral=referral, kind=0)
        self.active_start = np.maximum(T0, signup + MINUTE)
        self.pre = pre
        # First time each account's first phone was seen.
        cand = np.where(pre, signup + self.ui(nL, 0, np.maximum(T0 - DAY - signup, 1)),
                        signup - self.ui(nL, 1, 600))
        # Families: 3% of accounts share their phone with 1-4 others.
        heads = rng.choice(nL, max(1, round(0.03 * nL)), replace=False)
        extra = rng.choice([1, 2, 3, 4], len(heads), p=[0.5, 0.3, 0.15, 0.05])
        others = np.setdiff1d(np.arange(nL), heads)
        n_members = min(int(extra.sum()), len(others))
        members = rng.choice(others, n_members, replace=False)
        owner = np.arange(nL)
        owner[members] = np.repeat(heads, extra)[:n_members]
        fs = cand.copy()
        np.minimum.at(fs, owner[members], cand[members])
        # Shared phones (second-hand, a household's tablet): 10% of the new
        # players sign up on a phone an established player already uses.
        joiners = np.setdiff1d(np.flatnonzero((~pre) & (rng.random(nL) < 0.1)), np.r_[heads, members])
        hosts = rng.choice(np.setdiff1d(np.flatnonzero(pre), members), len(joiners))
        owner[joiners] = owner[hosts]
        members = np.r_[members, joiners]
        np.minimum.at(fs, owner[joiners], cand[joiners])
        owners = np.flatnonzero(owner == np.arange(nL))
        dev_of_owner = np.full(nL, -1)
        dev_of_owner[owners] = self.new_devices(fs[owners], 0.03, 0.03, 0.65)
        self.d0 = dev_of_owner[owner]
        family = np.zeros(nL, bool)
        family[members] = True
        family[heads] = True
        self.family = family
        # 12% get a new phone during the period.
        span = T1 - DAY - self.active_start
        sw = (~family) & (span > DAY) & (rng.random(nL) < 0.12)
        self.switch_t = np.full(nL, INF, dtype=np.int64)
        st = self.active_start[sw] + DAY // 2 + (rng.random(sw.sum()) * (span[sw] - DAY // 2)).astype(np.int64)
        self.switch_t[sw] = st
        self.d1 = self.d0.copy()
        self.d1[sw] = self.new_devices(st - self.ui(sw.sum(), 1, HOUR), 0.03, 0.03, 0.65)
        # Activity: transactions and play are separate, heavy-tailed habits.
        active_span = (T1 - self.active_start).astype(float)
        self.txn_w = rng.lognormal(0, 0.9, nL) * active_span
        self.play_w = rng.lognormal(0, 1.0, nL) * active_span
        self.play_w[rng.random(nL) < 0.25] *= 0.02  # wallet users who rarely play
        self.scale = rng.lognormal(0, 0.5, nL)  # how much money an account moves
        self.balance0 = np.where(pre, np.round(rng.lognormal(np.log(600), 1.0, nL) * 100), 0).astype(np.int64)
        self.fav_app = rng.integers(0, len(APPS), nL)
        self.points_rate = rng.lognormal(0, 0.5, nL)  # some games pay more per minute

    # -- fraud ------------------------------------------------------------
    def make_mules(self, n):
        rng = self.rng
        signup = self.T0 - self.ui(n, DAY, 90 * DAY)
        return self.accounts.add(signup=signup, country=rng.choice(len(COUNTRIES), n, p=COUNTRY_P),
                                 referral=rng.choice(4, n), kind=3)

    def make_ato(self, target_txns):
        rng, T0 = self.rng, self.T0
        kt_vals, kt_p = np.arange(1, 7), np.array([0.15, 0.25, 0.25, 0.15, 0.1, 0.1])
        kc_vals, kc_p = np.arange(0, 3), np.array([0.25, 0.6, 0.15])
        mean = (kt_vals * kt_p).sum() + (kc_vals * kc_p).sum() + 0.15
        n = max(1, round(target_txns / mean))
        eligible = np.flatnonzero(self.accounts.parts["signup"][0] < T0 - 7 * DAY)
        victims = rng.choice(eligible, n, replace=n > len(eligible))
        t0 = T0 + DAY + (rng.random(n) * (self.D - 1.5 * DAY)).astype(np.int64)
        mode = rng.choice([ATO_NEW, ATO_SHARED, ATO_OWN], n, p=[0.6, 0.15, 0.25])
        dev = np.full(n, -1)
        m_new = mode == ATO_NEW
        # The attacker's phone is first seen minutes before the attack, or at a
        # first probing login days before.
        probe = rng.random(m_new.sum()) < 0.4
        dev[m_new] = self.new_devices(t0[m_new] - np.where(probe, self.ui(m_new.sum(), DAY, 20 * DAY),
                                                           self.ui(m_new.sum(), MINUTE, 30 * MINUTE)),
                                      0.15, 0.15, 0.75)
        m_sh = np.flatnonzero(mode == ATO_SHARED)
        if len(m_sh):
            pool = rng.integers(0, max(1, len(m_sh) // 3), len(m_sh))
            used, inv = np.unique(pool, return_inverse=True)
            first = np.full(len(used), INF, dtype=np.int64)
            np.minimum.at(first, inv, t0[m_sh])
            ids = self.new_devices(first - self.ui(len(used), HOUR, 5 * DAY), 0.3, 0.3, 0.85)
            dev[m_sh] = ids[inv]
        m_own = mode == ATO_OWN
        dev[m_own] = self.d0[victims[m_own]]
        mules = self.make_mules(max(1, n // 2))
        mule = mules[rng.integers(0, len(mules), n)]
        slow = (rng.random(n) < 0.35) | ((mode == ATO_OWN) & (rng.random(n) < 0.6))
        gap = np.where(slow, 4 * HOUR, 8 * MINUTE)
        # A small test payment first, sometimes.
        test = np.flatnonzero(rng.random(n) < 0.15)
        self.txns.add(t=t0[test], acct=victims[test], dev=dev[test], type=PAYMENT,
                      cents=self.ui(len(test), 100, 500), dest_kind=1,
                      dest=rng.integers(0, 20000, len(test)), drain=False, pattern=mode[test])
        begin = t0.copy()
        begin[test] += self.ui(len(test), 5 * MINUTE, 45 * MINUTE)
        # Transfers.
        kt = rng.choice(kt_vals, n, p=kt_p)
        inc = np.repeat(np.arange(n), kt)
        dt = group_cumsum(rng.exponential(1.0, len(inc)) * gap[inc] + 30, kt).astype(np.int64)
        tt = begin[inc] + dt
        last = begin.copy()
        np.maximum.at(last, inc, tt)
        cents = np.round(rng.lognormal(np.log(250), 0.8, len(inc)) * self.scale[victims[inc]]
                         * 100).astype(np.int64)
        # On the victim's own phone the thief mixes in ordinary-looking payments.
        typ = np.where(mode[inc] == ATO_OWN,
                       rng.choice([TRANSFER, PAYMENT, CASH_OUT], len(inc), p=[0.6, 0.25, 0.15]), TRANSFER)
        self.txns.add(t=tt, acct=victims[inc], dev=dev[inc], type=typ, cents=cents,
                      dest_kind=np.select([typ == TRANSFER, typ == PAYMENT], [0, 1], 2),
                      dest=np.where(typ == TRANSFER, mule[inc], rng.integers(0, 5000, len(inc))),
                      drain=False, pattern=mode[inc])
        # Cash-outs draining what is left.
        kc = rng.choice(kc_vals, n, p=kc_p)
        inc = np.repeat(np.arange(n), kc)
        dt = group_cumsum(rng.exponential(1.0, len(inc)) * 2 * gap[inc] + 60, kc).astype(np.int64)
        rank = group_rank(kc)
        cents = np.round(rng.lognormal(np.log(300), 0.7, len(inc)) * 100).astype(np.int64)
        self.txns.add(t=last[inc] + dt, acct=victims[inc], dev=dev[inc], type=CASH_OUT,
                      cents=cents, dest_kind=2, dest=rng.integers(0, 5000, len(inc)),
                      drain=(rank == 0) & (mode[inc] != ATO_OWN), pattern=mode[inc])
        # Opening a game on the attacker's phone, sometimes.
        g = np.flatnonzero((mode != ATO_OWN) & (rng.random(n) < 0.3))
        self.sessions.add(t=t0[g] + self.ui(len(g), 0, HOUR), acct=victims[g], dev=dev[g],
                          minutes=np.round(self.u(len(g), 0.5, 5), 1), app=rng.integers(0, len(APPS), len(g)))
        # Redeeming the victim's points, sometimes.
        red = np.flatnonzero(rng.random(n) < 0.35)
        self.redemptions.add(t=t0[red] + self.ui(len(red), 0, 2 * HOUR), acct=victims[red],
                             dev=dev[red], value=rng.choice([25, 50, 100], len(red)),
                             card=rng.choice(len(CARDS), len(red)))

    def make_bad_accounts(self, n, signup, kind, referral_p):
        return self.accounts.add(signup=signup,
                                 country=self.rng.choice(len(COUNTRIES), n, p=COUNTRY_P),
                                 referral=self.rng.choice(4, n, p=referral_p), kind=kind)

    def bad_activity(self, accts, dev, signup, pattern, play_span, min_hi, offer_lo, offer_hi,
                     red_lo, red_hi, collector, careful):
        """Sessions, rewards, redemptions and transactions of farm/abuse accounts.
        play_span .. red_hi are per-account arrays (or scalars)."""
        rng = self.rng
        n = len(accts)
        b = lambda x: np.broadcast_to(np.asarray(x), (n,))
        play_span, min_hi, offer_lo, offer_hi, red_lo, red_hi = map(
            b, (play_span, min_hi, offer_lo, offer_hi, red_lo, red_hi))
        # One in four is careful: plays like a real player for days, earns
        # points by playing, redeems after 3-7 days.
        play_span = np.where(careful, 6 * DAY, play_span)
        min_hi = np.where(careful, 30, min_hi)
        offer_lo = np.where(careful, 100, offer_lo)
        offer_hi = np.where(careful, 800, offer_hi)
        red_lo = np.where(careful, 3 * DAY, red_lo)
        red_hi = np.where(careful, 7 * DAY, red_hi)
        # A few sessions, mostly short.
        ks = np.where(careful, rng.integers(3, 10, n), rng.integers(1, 5, n))
        i = np.repeat(np.arange(n), ks)
        st = signup[i] + self.ui(len(i), MINUTE, play_span[i])
        minutes = np.round(self.u(len(i), 0.5, min_hi[i]), 1)
        app = rng.integers(0, len(APPS), len(i))
        self.sessions.add(t=st, acct=accts[i], dev=dev[i], minutes=minutes, app=app)
        self.rewards.add(t=st + (minutes * 60).astype(np.int64) + 5, acct=accts[i],
                         points=np.round(minutes * 10).astype(np.int64), reason=PLAY_TIME)
        # Offers and referral points far above the play time.
        ko = np.where(careful, rng.integers(0, 2, n), rng.integers(0, 4, n))
        i = np.repeat(np.arange(n), ko)
        self.rewards.add(t=signup[i] + self.ui(len(i), 10 * MINUTE, play_span[i]), acct=accts[i],
                         points=self.ui(len(i), offer_lo[i], offer_hi[i]), reason=OFFER)
        r = np.flatnonzero(rng.random(n) < 0.5)
        self.rewards.add(t=signup[r] + self.ui(len(r), MINUTE, HOUR), acct=accts[r],
                         points=250, reason=REFERRAL)
        # Redemptions.
        kr = rng.integers(1, 3, n)
        i = np.repeat(np.arange(n), kr)
        rt = signup[i] + self.ui(len(i), red_lo[i], red_hi[i])
        self.redemptions.add(t=rt, acct=accts[i], dev=dev[i],
                             value=rng.choice([10, 25, 50], len(i)),
                             card=rng.choice(len(CARDS), len(i), p=[0.3, 0.3, 0.3, 0.05, 0.05]))
        first_red = signup + red_hi
        np.minimum.at(first_red, i, rt)
        # Half move money right after redeeming, half on their own schedule.
        first_red = np.where(rng.random(n) < 0.5, first_red, signup + self.ui(n, HOUR, 5 * DAY))
        # Then move the money: cash-in, transfer, then transfer/cash-out/payment.
        kx = rng.choice([2, 3, 4, 5], n, p=[0.3, 0.3, 0.25, 0.15])
        i = np.repeat(np.arange(n), kx)
        rank = group_rank(kx)
        dt = group_cumsum(rng.exponential(3 * HOUR, len(i)) + 5 * MINUTE, kx).astype(np.int64)
        tt = first_red[i] + dt
        typ = np.where(rank == 0, CASH_IN,
                       np.where(rank == 1, TRANSFER,
                                rng.choice([TRANSFER, CASH_OUT, PAYMENT], len(i), p=[0.4, 0.45, 0.15])))
        # Careful ones spend like ordinary players after the first cash-in.
        c = careful[i] & (rank > 0)
        typ[c] = rng.choice(5, c.sum(), p=LEGIT_TYPE_P)
        med = np.where(careful[i], LEGIT_MEDIAN[typ], 60.0)
        cents = np.round(rng.lognormal(np.log(med), 0.9) * 100).astype(np.int64)
        dest_kind = np.select([typ == TRANSFER, typ == PAYMENT, typ == DEBIT], [0, 1, 3], 2)
        dest = np.where(typ == TRANSFER, collector[i], rng.integers(0, 200, len(i)))
        self.txns.add(t=tt, acct=accts[i], dev=dev[i], type=typ, cents=cents,
                      dest_kind=dest_kind, dest=dest, drain=(typ == CASH_OUT) & ~careful[i],
                      pattern=pattern)

    def make_farms(self, target_txns):
        rng, T0 = self.rng, self.T0
        target_accts = max(3, round(target_txns / 3.25))
        sizes = np.minimum(2 + rng.geometric(0.14, target_accts), 30)
        sizes = sizes[:np.searchsorted(np.cumsum(sizes), target_accts) + 1]
        nf = len(sizes)
        f0 = T0 + (rng.random(nf) * (self.D - 5 * DAY)).astype(np.int64)
        ndev = np.maximum(1, np.round(sizes / self.u(nf, 2, 7))).astype(np.int64)
        fi = np.repeat(np.arange(nf), ndev)
        old = rng.random(len(fi)) < 0.2
        seen = f0[fi] - np.where(old, self.ui(len(fi), 3 * DAY, 30 * DAY), self.ui(len(fi), 1, 6 * HOUR))
        devs = self.new_devices(seen, 0.25, 0.25, 0.85)
        dev_start = np.cumsum(ndev) - ndev
        fa = np.repeat(np.arange(nf), sizes)
        na = len(fa)
        # Some farms sign their accounts up within hours, others spread them over days.
        spread = np.where(rng.random(nf) < 0.5, 12 * HOUR, 4 * DAY)
        start = f0[fa] + self.ui(na, MINUTE, spread[fa])
        dev = devs[dev_start[fa] + (rng.random(na) * ndev[fa]).astype(np.int64)]
        # A third of the farms spoof a fresh device id for every account (cloned
        # emulator images), which hides the sharing.
        spoof = (rng.random(nf) < 0.35)[fa]
        dev[spoof] = self.new_devices(start[spoof] - self.ui(spoof.sum(), 1, 600), 0.5, 0.4, 0.9)
        # One account in four is careful (see bad_activity) and runs on a real phone of its own.
        careful = rng.random(na) < 0.25
        dev[careful] = self.new_devices(start[careful] - self.ui(careful.sum(), 1, 600), 0.03, 0.05, 0.7)
        # A quarter of the farms use aged accounts bought or registered long before.
        aged = (rng.random(nf) < 0.25)[fa]
        accts = self.make_bad_accounts(na, np.where(aged, start - self.ui(na, 10 * DAY, 90 * DAY), start),
                                       1, [0.05, 0.15, 0.5, 0.3])
        signup = start
        acct_start = np.cumsum(sizes) - sizes
        collector = accts[acct_start[fa]]
        self.bad_activity(accts, dev, signup, FARM, 2 * DAY, 20, 300, 3000, 2 * HOUR, 4 * DAY,
                          collector, careful)

    def make_abusers(self, target_txns):
        rng, T0 = self.rng, self.T0
        n = max(1, round(target_txns / 3.5))
        start = T0 + (rng.random(n) * (self.D - 3 * DAY)).astype(np.int64)
        # A third use aged accounts, signed up weeks before and left dormant.
        aged = rng.random(n) < 0.35
        signup = np.where(aged, start - self.ui(n, 10 * DAY, 90 * DAY), start)
        dev = self.new_devices(np.where(aged & (rng.random(n) < 0.5), signup, start) - self.ui(n, 1, 600),
                               0.2, 0.2, 0.85)
        accts = self.make_bad_accounts(n, signup, 2, [0.15, 0.3, 0.1, 0.45])
        signup = start
        collector = self.legit[rng.integers(0, self.nL, n)]
        # Greedy abusers cash out within hours; patient ones play a little and
        # redeem days later.
        patient = rng.random(n) < 0.6
        self.bad_activity(accts, dev, signup, ABUSE,
                          np.where(patient, 4 * DAY, DAY), np.where(patient, 40, 8),
                          np.where(patient, 400, 1000), np.where(patient, 3000, 8000),
                          np.where(patient, 2 * DAY, HOUR), np.where(patient, 6 * DAY, 36 * HOUR),
                          collector, rng.random(n) < 0.25)

    # -- legitimate activity ----------------------------------------------
    def make_legit_txns(self, L):
        rng, T1 = self.rng, self.T1
        # 40% of redemptions are followed by a cash-in of the gift card's value.
        k = np.flatnonzero(rng.random(len(self.red_acct)) < 0.4)[:L // 10]
        a = self.red_acct[k]
        t = np.minimum(self.red_t[k] + self.ui(len(k), 5 * MINUTE, 6 * HOUR), T1 - 1)
        self.txns.add(t=t, acct=self.legit[a], dev=self.legit_device_at(a, t), type=CASH_IN,
                      cents=np.round(rng.lognormal(np.log(40), 0.6, len(k)) * 100).astype(np.int64),
                      dest_kind=2, dest=rng.integers(0, 5000, len(k)), drain=False, pattern=LEGIT)
        L -= len(k)
        # Right after getting a new phone, 40% move money around (look-alike of ATO).
        sw = np.flatnonzero((self.switch_t < T1) & (rng.random(self.nL) < 0.4))
        kt = rng.integers(1, 4, len(sw))
        a = np.repeat(sw, kt)
        t = self.switch_t[a] + group_cumsum(rng.exponential(40 * MINUTE, len(a)) + 60, kt).astype(np.int64)
        a, t = a[t < T1][:L // 10], t[t < T1][:L // 10]
        self.txns.add(t=t, acct=self.legit[a], dev=self.d1[a],
                      type=rng.choice([TRANSFER, CASH_OUT, PAYMENT], len(a), p=[0.6, 0.2, 0.2]),
                      cents=np.round(rng.lognormal(np.log(250), 0.9, len(a)) * self.scale[a] * 100).astype(np.int64),
                      dest_kind=0, dest=self.legit[rng.integers(0, self.nL, len(a))], drain=False,
                      pattern=LEGIT)
        L -= len(a)
        nb = int(round(L * 0.88))
        nf = L - nb
        acct = rng.choice(self.nL, nb, p=self.txn_w / self.txn_w.sum())
        st = self.active_start[acct]
        t = st + (rng.random(nb) * (T1 - st)).astype(np.int64)
        typ = rng.choice(5, nb, p=LEGIT_TYPE_P)
        # Follow-ups: bursts of payments and transfers within the hour.
        b = rng.integers(0, nb, nf)
        tf = np.minimum(t[b] + (rng.exponential(15 * MINUTE, nf) + 30).astype(np.int64), T1 - 1)
        typf = np.where(rng.random(nf) < 0.6, typ[b], rng.choice(5, nf, p=LEGIT_TYPE_P))
        acct = np.concatenate([acct, acct[b]])
        t = np.concatenate([t, tf])
        typ = np.concatenate([typ, typf])
        n = len(acct)
        # A new player's first transaction loads the wallet.
        o = np.lexsort((t, acct))
        first = o[np.r_[True, acct[o][1:] != acct[o][:-1]]]
        typ[first[~self.pre[acct[first]]]] = CASH_IN
        med = LEGIT_MEDIAN[typ]
        sig = np.array([1.0, 1.1, 0.9, 0.9, 0.8])[typ]
        amt = rng.lognormal(np.log(med), sig) * self.scale[acct]
        big = (typ == TRANSFER) & (rng.random(n) < 0.015)
        amt[big] *= self.u(big.sum(), 5, 30)
        cents = np.maximum(np.round(amt * 100), 1).astype(np.int64)
        # Transfers go mostly to a few regular payees.
        payee = (acct * 7919 + rng.integers(0, 3, n) * 104729) % self.nL
        payee = np.where(rng.random(n) < 0.8, payee, rng.integers(0, self.nL, n))
        dest_kind = np.select([typ == TRANSFER, typ == PAYMENT, typ == DEBIT], [0, 1, 3], 2)
        dest = np.select([typ == TRANSFER, typ == PAYMENT, typ == DEBIT],
                         [self.legit[payee], rng.zipf(1.3, n) % 20000, rng.integers(0, 200, n)],
                         rng.integers(0, 5000, n))
        drain = (typ == CASH_OUT) & (rng.random(n) < 0.03)
        self.txns.add(t=t, acct=self.legit[acct], dev=self.legit_device_at(acct, t), type=typ,
                      cents=cents, dest_kind=dest_kind, dest=dest, drain=drain, pattern=LEGIT)

    def make_legit_play(self):
        rng, N, T1, nL = self.rng, self.N, self.T1, self.nL
        S = int(round(0.52 * N))
        acct = rng.choice(nL, S, p=self.play_w / self.play_w.sum())
        st = self.active_start[acct]
        t = st + (rng.random(S) * (T1 - st)).astype(np.int64)
        # New players try the games in their first days.
        new = np.flatnonzero(~self.pre)
        k = rng.integers(1, 9, len(new))
        a = np.repeat(new, k)
        ta = np.minimum(self.active_start[a] + self.ui(len(a), MINUTE, 3 * DAY), T1 - 1)
        acct = np.concatenate([acct, a])
        t = np.concatenate([t, ta])
        S = len(acct)
        minutes = np.round(np.clip(rng.lognormal(np.log(12), 0.8, S), 0.5, 240), 1)
        app = np.where(rng.random(S) < 0.7, self.fav_app[acct], rng.integers(0, len(APPS), S))
        dev = self.legit_device_at(acct, t)
        self.sessions.add(t=t, acct=self.legit[acct], dev=dev, minutes=minutes, app=app)
        # Play-time points for 60% of sessions, at the session's end.
        p = np.flatnonzero(rng.random(S) < 0.6)
        pts = np.maximum(np.round(minutes[p] * 10 * self.points_rate[acct[p]]
                                  * rng.lognormal(0, 0.3, len(p))), 1)
        self.rewards.add(t=t[p] + (minutes[p] * 60).astype(np.int64) + 5, acct=self.legit[acct[p]],
                         points=pts.astype(np.int64), reason=PLAY_TIME)
        # Daily bonuses and level-ups around sessions.
        for frac, reason, lo, hi in ((0.18, DAILY_BONUS, 50, 51), (0.05, LEVEL_UP, 100, 300)):
            k = rng.integers(0, S, int(round(frac * S)))
            self.rewards.add(t=t[k] + 30, acct=self.legit[acct[k]],
                             points=rng.integers(lo, hi, len(k)), reason=reason)
        # Offer earners: many points, little play (look-alike of abuse).
        oe = np.flatnonzero(rng.random(nL) < 0.2)
        ko = rng.integers(1, 5, len(oe))
        a = np.repeat(oe, ko)
        sa = self.active_start[a]
        self.rewards.add(t=sa + (rng.random(len(a)) * (T1 - sa)).astype(np.int64),
                         acct=self.legit[a], points=rng.integers(200, 5000, len(a)), reason=OFFER)
        # Newcomers from offer walls and ads who do offers at once and redeem
        # early (look-alikes of reward abuse).
        nc = np.flatnonzero((~self.pre) & (rng.random(nL) < np.where(
            self.accounts.parts["referral"][0] == 3, 0.7, 0.35)))
        nc = nc[self.active_start[nc] < T1 - 3 * DAY]
        ko = rng.integers(1, 4, len(nc))
        a = np.repeat(nc, ko)
        self.rewards.add(t=self.active_start[a] + self.ui(len(a), 10 * MINUTE, 2 * DAY),
                         acct=self.legit[a], points=rng.integers(400, 5000, len(a)), reason=OFFER)
        self.newcomers = nc
        # Referral bonuses for those who came through a friend.
        fr = np.flatnonzero(self.accounts.parts["referral"][0] == 2)
        fr = fr[self.active_start[fr] < T1 - HOUR]
        self.rewards.add(t=self.active_start[fr] + 300, acct=self.legit[fr], points=250,
                         reason=REFERRAL)
        # Redemptions: mostly established players...
        R = int(round(0.025 * N))
        a = rng.choice(nL, R, p=self.play_w / self.play_w.sum())
        lo = np.minimum(self.active_start[a] + 3 * DAY, T1 - HOUR)
        rt = lo + (rng.random(R) * (T1 - lo)).astype(np.int64)
        # ...and new players who redeem their welcome bonus early (look-alike).
        new = np.flatnonzero((~self.pre) & (rng.random(nL) < 0.06))
        new = np.concatenate([new, self.newcomers[rng.random(len(self.newcomers)) < 0.7]])
        et = np.minimum(self.active_start[new] + self.ui(len(new), 3 * HOUR, 48 * HOUR), T1 - 1)
        a = np.concatenate([a, new])
        rt = np.concatenate([rt, et])
        self.red_acct, self.red_t = a, rt
        self.redemptions.add(t=rt, acct=self.legit[a], dev=self.legit_device_at(a, rt),
                             value=rng.choice([5, 10, 25, 50], len(a), p=[0.35, 0.35, 0.2, 0.1]),
                             card=rng.choice(len(CARDS), len(a), p=[0.35, 0.3, 0.15, 0.1, 0.1]))

    # -- assembly -----------------------------------------------------------
    def build(self):
        rng, N = self.rng, self.N
        self.make_legit_accounts()
        F = N * self.fraud_frac
        self.make_ato(0.45 * F)
        self.make_farms(0.35 * F)
        self.make_abusers(0.20 * F)
        fraud = self.txns.get()
        n_fraud = int(np.sum(fraud["t"] < self.T1))
        if n_fraud >= N:
            raise SystemExit(f"--rows {N} is too small")
        self.make_legit_play()
        self.make_legit_txns(N - n_fraud)

        tx = self.txns.get()
        keep = tx["t"] < self.T1
        tx = {k: v[keep] for k, v in tx.items()}
        assert len(tx["t"]) == N, (len(tx["t"]), N)
        # Balances: a running balance per account, floored at zero; a draining
        # cash-out takes the whole balance. Two passes (the drain amounts
        # depend on the balance, later balances on the drain amounts).
        nacc = self.accounts.n
        bal0 = np.zeros(nacc, np.int64)
        bal0[self.legit] = self.balance0
        order = np.lexsort((tx["t"], tx["acct"]))
        acct = tx["acct"][order]
        counts = np.bincount(acct, minlength=nacc)
        counts = counts[counts > 0]
        typ = tx["type"][order]
        cents = tx["cents"][order].copy()
        drain = tx["drain"][order]
        first = np.r_[True, acct[1:] != acct[:-1]]
        for _ in range(2):
            signed = np.where(typ == CASH_IN, cents, -cents)
            s = bal0[acct] + group_cumsum(signed, counts)
            # Reflected at zero: B_i = S_i - min(0, min_{k<=i} S_k) per account.
            grp = np.cumsum(first) - 1
            m = pd_group_cummin(s, grp)
            new_bal = s - np.minimum(0, m)
            old_bal = np.where(first, bal0[acct], np.r_[0, new_bal[:-1]])
            d = drain & (old_bal > 2000)
            cents[d] = old_bal[d]
        tx["cents"][order] = cents
        tx["old"] = np.empty(N, np.int64)
        tx["new"] = np.empty(N, np.int64)
        tx["old"][order] = old_bal
        tx["new"][order] = new_bal

        # Order every table by time; ids in that order.
        def sort(d):
            o = np.argsort(d["t"], kind="stable")
            o = o[d["t"][o] < self.T1]  # activity that would fall after the period
            return {k: v[o] for k, v in d.items()}

        self.tx = sort(tx)
        self.sess = sort(self.sessions.get())
        self.rew = sort(self.rewards.get())
        self.red = sort(self.redemptions.get())
        acc = self.accounts.get()
        dev = self.devices.get()
        acc_order = np.argsort(acc["signup"], kind="stable")
        dev_order = np.argsort(dev["first_seen"], kind="stable")
        self.acct_num = np.empty(nacc, np.int64)
        self.acct_num[acc_order] = np.arange(1, nacc + 1)
        self.dev_num = np.empty(len(dev_order), np.int64)
        self.dev_num[dev_order] = np.arange(1, len(dev_order) + 1)
        self.acc = {k: v[acc_order] for k, v in acc.items()}
        self.acc["acct"] = acc_order
        self.dev = {k: v[dev_order] for k, v in dev.items()}
        self.dev["dev"] = dev_order
        self.check_consistency()

    def check_consistency(self):
        """Every device and account is seen (and signed up) before it is used."""
        seen = np.empty(len(self.dev_num), np.int64)
        seen[self.dev["dev"]] = self.dev["first_seen"]
        signup = np.empty(len(self.acct_num), np.int64)
        signup[self.acc["acct"]] = self.acc["signup"]
        for name, d in (("transactions", self.tx), ("sessions", self.sess),
                        ("redemptions", self.red)):
            bad = np.sum(seen[d["dev"]] >= d["t"])
            assert bad == 0, f"{name}: {bad} events before their device was first seen"
        for name, d in (("transactions", self.tx), ("sessions", self.sess),
                        ("redemptions", self.red), ("rewards", self.rew)):
            bad = np.sum(signup[d["acct"]] >= d["t"])
            assert bad == 0, f"{name}: {bad} events before their account signed up"


def pd_group_cummin(values, groups):
    import pandas as pd
    return pd.Series(values).groupby(groups).cummin().to_numpy()


# -- writing -------------------------------------------------------------------

def fmt_ids(prefix, nums, width):
    return [f"{prefix}{n:0{width}d}" for n in nums.tolist()]


def fmt_cents(c):
    return [f"{x // 100}.{x % 100:02d}" for x in np.asarray(c, np.int64).tolist()]


def fmt_num(x, spec):
    return [format(v, spec) for v in np.asarray(x).tolist()]


BAD_TS_FORMS = 5


def bad_timestamps(good, k):
    """Malformed versions of ISO timestamps (none parse; none are integers)."""
    out = []
    for s, form in zip(good, k):
        y, mo, d, hh, mi, ss = s[0:4], s[5:7], s[8:10], s[11:13], s[14:16], s[17:19]
        if form == 0:
            out.append(f"{d}/{mo}/{y} {hh}:{mi}")          # day-first local format
        elif form == 1:
            out.append(f"{y}-13-{d}T{hh}:{mi}:{ss}Z")      # month 13
        elif form == 2:
            out.append(f"{y}-{mo}-{d}T{hh}:{mi}:{ss}ZZ")   # trailing garbage
        elif form == 3:
            out.append(f"{y}-{mo}-{d}T24:{mi}:{ss}Z")      # hour 24
        else:
            out.append("not-a-time")
    return out


class TableWriter:
    """Clean rows as string columns plus injected dirt, written in time order."""

    def __init__(self, name, prefix, t, cols, ts_col, event_id_col, keys, neg_col=None,
                 enum_col=None, neg_int=False):
        self.neg_int = neg_int
        self.name = name
        self.prefix = prefix
        self.t = np.asarray(t, np.int64)
        self.cols = cols  # dict column -> list of str (clean rows, in time order)
        self.ts_col = ts_col
        self.event_id_col = event_id_col
        self.keys = keys  # columns whose emptiness is a missing key
        self.neg_col = neg_col
        self.enum_col = enum_col
        self.dirt = {}

    def kinds(self):
        k = ["duplicate", "bad_timestamp"]
        if self.neg_col:
            k.append("negative")
        if self.enum_col:
            k.append("unknown_enum")
        k.append("missing_key")
        return k

    def write(self, path, rng, dirt):
        n = len(self.t)
        names = list(self.cols)
        kinds = self.kinds()
        per_kind = 0 if dirt <= 0 or n == 0 else max(1, int(round(n * dirt / len(kinds))))
        extra_cols = {c: [] for c in names}
        extra_t = []
        next_id = n + 1
        for kind in kinds:
            src = np.sort(rng.choice(n, per_kind, replace=per_kind > n)) if per_kind else np.array([], int)
            self.dirt[kind] = int(len(src))
            rows = {c: [self.cols[c][i] for i in src.tolist()] for c in names}
            if kind == "duplicate":
                delay = rng.integers(1, 3 * HOUR, len(src))
            else:
                delay = rng.integers(0, 10 * MINUTE, len(src))
                rows[self.event_id_col] = fmt_ids(self.prefix, np.arange(next_id, next_id + len(src)), 8)
                next_id += len(src)
            if kind == "bad_timestamp":
                rows[self.ts_col] = bad_timestamps(rows[self.ts_col], rng.integers(0, BAD_TS_FORMS, len(src)).tolist())
            elif kind == "negative":
                if self.neg_int:
                    rows[self.neg_col] = [f"-{v}" for v in rng.integers(1, 500, len(src)).tolist()]
                else:
                    rows[self.neg_col] = [f"-{v:.2f}" for v in (rng.random(len(src)) * 500 + 0.01).tolist()]
            elif kind == "unknown_enum":
                bad = BAD_ENUMS[self.enum_col]
                rows[self.enum_col] = [bad[j] for j in rng.integers(0, len(bad), len(src)).tolist()]
            elif kind == "missing_key":
                which = rng.integers(0, len(self.keys), len(src)).tolist()
                for r, w in enumerate(which):
                    rows[self.keys[w]][r] = ""
            for c in names:
                extra_cols[c].extend(rows[c])
            extra_t.append(self.t[src] + delay)
        all_t = np.concatenate([self.t] + extra_t)
        tie = np.r_[np.zeros(n, np.int8), np.ones(len(all_t) - n, np.int8)]
        order = np.lexsort((np.arange(len(all_t)), tie, all_t)).tolist()
        full = [self.cols[c] + extra_cols[c] for c in names]
        lines = [",".join(names)]
        lines.extend(",".join(r) for r in zip(*[[col[i] for i in order] for col in full]))
        with open(path, "w", newline="\n") as f:
            f.write("\n".join(lines))
            f.write("\n")
        return len(order)


def write_all(w, out, dirt):
    rng = np.random.default_rng([w.rng.integers(0, 2**31), 17])  # dirt stream
    A = lambda a: fmt_ids("A", w.acct_num[a], 7)
    Dv = lambda d: fmt_ids("D", w.dev_num[d], 7)
    rows = {}

    def emit(tw):
        # Written at once so only one table's strings are alive at a time.
        rows[tw.name] = {"clean": len(tw.t)}
        rows[tw.name]["written"] = tw.write(os.path.join(out, tw.name + ".csv"), rng, dirt)
        rows[tw.name]["dirt"] = dict(tw.dirt)

    acc = w.acc
    emit(TableWriter(
        "accounts", "ac", acc["signup"],
        {"event_id": fmt_ids("ac", np.arange(1, len(acc["signup"]) + 1), 8), "account_id": A(acc["acct"]),
         "signup_ts": iso(acc["signup"]),
         "country": [COUNTRIES[i] for i in acc["country"].tolist()],
         "referral": [REFERRALS[i] for i in acc["referral"].tolist()]},
        "signup_ts", "event_id", ["account_id", "event_id"], enum_col="country"))
    dev = w.dev
    emit(TableWriter(
        "devices", "dv", dev["first_seen"],
        {"event_id": fmt_ids("dv", np.arange(1, len(dev["first_seen"]) + 1), 8), "device_id": Dv(dev["dev"]),
         "first_seen_ts": iso(dev["first_seen"]),
         "os": [OSES[i] for i in dev["os"].tolist()],
         "is_emulator": ["true" if x else "false" for x in dev["emu"].tolist()],
         "is_rooted": ["true" if x else "false" for x in dev["rooted"].tolist()]},
        "first_seen_ts", "event_id", ["device_id", "event_id"], enum_col="os"))
    s = w.sess
    emit(TableWriter(
        "sessions", "se", s["t"],
        {"event_id": fmt_ids("se", np.arange(1, len(s["t"]) + 1), 8), "account_id": A(s["acct"]),
         "device_id": Dv(s["dev"]), "start_ts": iso(s["t"]),
         "minutes_played": fmt_num(s["minutes"], ".1f"),
         "app": [APPS[i] for i in s["app"].tolist()]},
        "start_ts", "event_id", ["account_id", "device_id", "event_id"],
        neg_col="minutes_played", enum_col="app"))
    r = w.rew
    emit(TableWriter(
        "rewards", "rw", r["t"],
        {"event_id": fmt_ids("rw", np.arange(1, len(r["t"]) + 1), 8), "account_id": A(r["acct"]),
         "ts": iso(r["t"]), "points": [str(x) for x in r["points"].tolist()],
         "reason": [REASONS[i] for i in r["reason"].tolist()]},
        "ts", "event_id", ["account_id", "event_id"], neg_col="points", enum_col="reason",
        neg_int=True))
    d = w.red
    emit(TableWriter(
        "redemptions", "rd", d["t"],
        {"event_id": fmt_ids("rd", np.arange(1, len(d["t"]) + 1), 8), "account_id": A(d["acct"]),
         "device_id": Dv(d["dev"]), "ts": iso(d["t"]),
         "value": [f"{x}.00" for x in d["value"].tolist()],
         "card": [CARDS[i] for i in d["card"].tolist()]},
        "ts", "event_id", ["account_id", "device_id", "event_id"], neg_col="value", enum_col="card"))
    t = w.tx
    n = len(t["t"])
    tx_ids = fmt_ids("tx", np.arange(1, n + 1), 8)
    ts = iso(t["t"])
    accts = A(t["acct"])
    devs = Dv(t["dev"])
    types = [TYPES[i] for i in t["type"].tolist()]
    amounts = fmt_cents(t["cents"])
    dest = []
    acct_num = w.acct_num
    for k, v in zip(t["dest_kind"].tolist(), t["dest"].tolist()):
        if k == 0:
            dest.append(f"A{acct_num[v]:07d}")
        elif k == 1:
            dest.append(f"M{v:06d}")
        elif k == 2:
            dest.append(f"AG{v:05d}")
        else:
            dest.append(f"BK{v:03d}")
    emit(TableWriter(
        "transactions", "tx", t["t"],
        {"event_id": tx_ids, "ts": ts, "account_id": accts, "device_id": devs, "type": types,
         "amount": amounts, "dest_id": dest, "old_balance": fmt_cents(t["old"]),
         "new_balance": fmt_cents(t["new"])},
        "ts", "event_id", ["account_id", "device_id", "event_id"], neg_col="amount", enum_col="type"))

    # Labels: one per clean transaction.
    lrng = np.random.default_rng([w.rng.integers(0, 2**31), 29])
    pattern = t["pattern"]
    fraud = pattern != LEGIT
    unreported = fraud & (lrng.random(n) < 0.04)
    friendly = (~fraud) & (lrng.random(n) < 0.0015)
    label = (fraud & ~unreported) | friendly
    abuse = np.isin(pattern, [FARM, ABUSE])
    delay = np.where(abuse, DAY + np.minimum(lrng.gamma(2.0, 2 * DAY, n), 13 * DAY),
                     DAY + np.minimum(lrng.gamma(2.0, 3 * DAY, n), 19 * DAY)).astype(np.int64)
    label_ts = np.where(label, t["t"] + delay, t["t"] + 21 * DAY)
    cols = [tx_ids, accts, devs, ts, amounts, types, [str(x) for x in t["type"].tolist()],
            ["1" if x else "0" for x in label.tolist()], iso(label_ts)]
    with open(os.path.join(out, "labels.csv"), "w", newline="\n") as f:
        f.write("event_id,account_id,device_id,ts,amount,type,type_code,label,label_ts\n")
        f.write("\n".join(",".join(r) for r in zip(*cols)))
        f.write("\n")
    tags = np.where(fraud, pattern, np.where(friendly, -1, -2))
    idx = np.flatnonzero(tags != -2)
    with open(os.path.join(out, "truth.csv"), "w", newline="\n") as f:
        f.write("event_id,pattern,label\n")
        for i in idx.tolist():
            name = PATTERN_NAMES[tags[i]] if tags[i] >= 0 else "friendly_chargeback"
            f.write(f"{tx_ids[i]},{name}{'_unreported' if unreported[i] else ''},{int(label[i])}\n")
    pats = {PATTERN_NAMES[p]: int(np.sum(pattern == p)) for p in range(1, len(PATTERN_NAMES))}
    return rows, {
        "labels": n,
        "positives": int(label.sum()),
        "fraud_rate": float(label.mean()) if n else 0.0,
        "fraud_transactions": int(fraud.sum()),
        "unreported_fraud": int(unreported.sum()),
        "friendly_chargebacks": int(friendly.sum()),
        "patterns": pats,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="See the module docstring for tables, patterns and dirt.")
    p.add_argument("--rows", type=int, default=200000,
                   help="clean transactions to write (= labelled rows); other tables scale "
                        "with it, about 2.2x rows in all (default 200000)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--out", default="fraud-data", help="output directory (created)")
    p.add_argument("--start", default="2026-01-01T00:00:00Z",
                   help="start of the event period, ISO-8601 UTC (default 2026-01-01T00:00:00Z)")
    p.add_argument("--days", type=float, default=28, help="length of the period in days (>= 7)")
    p.add_argument("--fraud", type=float, default=0.015,
                   help="share of transactions made by fraudsters before label noise (default 0.015)")
    p.add_argument("--dirt", type=float, default=0.005,
                   help="dirty rows added per table as a fraction of its rows, split evenly "
                        "over the kinds that apply (default 0.005; 0 = none)")
    p.add_argument("--summary-json", help="also write the summary as JSON to this file")
    args = p.parse_args()
    if args.days < 7:
        p.error("--days must be at least 7")
    if args.rows < 2000:
        p.error("--rows must be at least 2000")
    started = time.monotonic()
    os.makedirs(args.out, exist_ok=True)
    w = World(args)
    w.build()
    built = time.monotonic()
    tables, labels = write_all(w, args.out, args.dirt)
    done = time.monotonic()
    summary = {
        "seed": args.seed, "rows": args.rows, "start": args.start, "days": args.days,
        "end": iso([w.T1])[0], "tables": tables, "labels": labels,
        "seconds": {"generate": round(built - started, 2), "write": round(done - built, 2)},
    }
    err = sys.stderr
    print(f"wrote {args.out}/ in {done - started:.1f}s (generate {built - started:.1f}s, "
          f"write {done - built:.1f}s); events {args.start} .. {summary['end']}", file=err)
    print(f"  {'table':<13}{'clean':>9}{'written':>9}  dirt", file=err)
    total = 0
    for name, t in tables.items():
        total += t["written"]
        dirt = ", ".join(f"{k} {v}" for k, v in t["dirt"].items())
        print(f"  {name:<13}{t['clean']:>9}{t['written']:>9}  {dirt}", file=err)
    print(f"  {'total':<13}{'':>9}{total:>9}", file=err)
    print(f"  labels.csv: {labels['labels']} rows, {labels['positives']} positive "
          f"({100 * labels['fraud_rate']:.2f}%); fraud transactions {labels['fraud_transactions']} "
          f"({', '.join(f'{k} {v}' for k, v in labels['patterns'].items())}), "
          f"unreported {labels['unreported_fraud']}, friendly chargebacks "
          f"{labels['friendly_chargebacks']}", file=err)
    if args.summary_json:
        with open(args.summary_json, "w") as f:
            json.dump(summary, f, indent=2, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
