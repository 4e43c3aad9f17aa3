"""The demo's sales team and CRM: sales reps, leads, opportunities, activities, customer issues, targets."""

from __future__ import annotations

import numpy as np

from aftersales.source.demo.arrays import _NA_DAY, _ascii, _cat, _r2
from aftersales.source.demo.base import (
    _ACTIVITIES_PER_MONTH,
    _ISSUES_PER_MONTH,
    _LEADS_PER_MONTH,
    _OPPS_PER_MONTH,
    _Base,
)
from aftersales.source.demo.names import (
    _ACTIVITY_MINUTES,
    _ACTIVITY_TYPES,
    _CHANNELS,
    _FIRST_NAMES,
    _ISSUE_CATEGORIES,
    _KIND_P,
    _LAST_NAMES,
    _MODELS,
    _SEGMENTS,
    _SEVERITIES,
    _STAGES,
    _TERRITORIES,
)


class _Crm(_Base):
    """Sales reps (made first: accounts take their owners among them), the CRM tables and the targets.

    Reads the accounts (``acc_*``, ``_pick_accounts``) and, for the targets, the sales per account and month
    that history tallies (``acc_net``, ``acc_margin``).
    """

    def _make_reps(self) -> None:
        rng = self.rng
        n = self.sc.reps
        width = max(2, len(str(n)))
        self.rep_codes = [f"R{k + 1:0{width}d}" for k in range(n)]
        pairs = [(first, last) for first in _FIRST_NAMES for last in _LAST_NAMES]
        pick = rng.choice(len(pairs), n, replace=False)
        names = [f"{pairs[k][0]} {pairs[k][1]}" for k in pick]
        self.rep_names = names
        self.rep_territory = np.arange(n) % len(_TERRITORIES)
        teams = ["Retail", "Fleet & Trade", "Key accounts"]
        team = [teams[k % 3] for k in range(n)]
        team[3 % n] = None
        cost = np.round(rng.uniform(55_000, 130_000, n), -3)
        cost[2 % n] = np.nan  # one rep whose cost is unknown
        comm = np.round(rng.uniform(2, 8, n) * 2) / 2
        comm[5 % n] = np.nan  # one rep without commission
        emails = [f"{_ascii(a.split()[0])}.{_ascii(a.split()[-1])}@dealer.example" for a in names]
        # the last rep is a new starter (hired 4 months ago) without any accounts
        self.rep_hired = np.zeros(n, dtype=np.int64)
        self.rep_hired[-1] = max(0, self.M - 5)
        self.store.insert("sales_reps", {
            "rep": np.array(self.rep_codes, dtype=object), "name": np.array(names, dtype=object),
            "team": np.array(team, dtype=object),
            "territory": _cat(self.rep_territory, _TERRITORIES),
            "email": np.array(emails, dtype=object), "annual_cost": cost, "commission_rate": comm,
        })

    # ----------------------------------------------------------------- CRM
    def _month_days(self, n_per_month: np.ndarray, counter_only: bool = True) -> np.ndarray:
        rng = self.rng
        out = []
        pool = self.cdays if counter_only else self.days
        for (ms, me, _), k in zip(self.months, n_per_month):
            d = pool[(pool >= ms) & (pool <= me)]
            out.append(d[rng.integers(0, len(d), k)])
        return np.sort(np.concatenate(out))

    def crm(self) -> None:
        rng = self.rng
        M, NR = self.M, self.sc.reps
        cust = np.arange(self.n_customers)

        def pick_rep(dates):
            mon = np.searchsorted([m[0] for m in self.months], dates, side="right") - 1
            r = rng.integers(0, NR, len(dates))
            late = self.rep_hired[r] > mon
            r[late] = rng.integers(0, NR - 1, int(late.sum()))
            return r

        # ---- leads: new customers came from a lead; others never converted
        new = cust[(self.acc_start[cust] > 0) & (rng.random(len(cust)) < 0.75)]
        conv_date = np.array([self.months[s][0] for s in self.acc_start[new]], dtype=np.int64)
        conv_date = np.maximum(conv_date - rng.integers(0, 45, len(new)), self.d0)
        n_un = rng.poisson(_LEADS_PER_MONTH * self.f, M)
        un_date = self._month_days(n_un, counter_only=False)
        ldate = np.concatenate([conv_date, un_date])
        lacc = np.concatenate([new, np.full(len(un_date), -1)])
        NL = len(ldate)
        lrep = pick_rep(ldate)
        own = np.where(lacc >= 0, self.acc_owner[np.maximum(lacc, 0)], -1)
        lrep = np.where(own >= 0, own, lrep)
        lchan = rng.choice(len(_CHANNELS), NL, p=[0.2, 0.3, 0.15, 0.15, 0.1, 0.1])
        lseg = rng.choice(len(_SEGMENTS), NL, p=_KIND_P)
        lterr = rng.integers(0, len(_TERRITORIES), NL)
        has = lacc >= 0
        a = np.maximum(lacc, 0)
        lchan = np.where(has & (self.acc_chan[a] >= 0), self.acc_chan[a], lchan)
        lseg = np.where(has & (self.acc_seg[np.minimum(a, self.n_customers - 1)] >= 0),
                        self.acc_seg[np.minimum(a, self.n_customers - 1)], lseg)
        lterr = np.where(has & (self.acc_terr[a] >= 0), self.acc_terr[a], lterr)
        lo, hi = np.array([0, 15, 5, 0, 120, 10]), np.array([0, 60, 25, 100, 450, 45])
        cost = _r2(rng.uniform(lo[lchan], hi[lchan]))
        cost = np.where((lchan == 0) | (rng.random(NL) < 0.12) | ((lchan == 3) & (rng.random(NL) < 0.5)),
                        np.nan, cost)
        o = np.lexsort((rng.random(NL), ldate))
        ldate, lacc, lrep, lchan, lseg, lterr, cost = (x[o] for x in (ldate, lacc, lrep, lchan, lseg, lterr, cost))
        self.store.insert("leads", {
            "lead_id": np.arange(1, NL + 1), "created_date": ldate.astype(np.int32),
            "rep": _cat(lrep, self.rep_codes), "channel": _cat(lchan, _CHANNELS),
            "segment": _cat(lseg, _SEGMENTS), "territory": _cat(lterr, _TERRITORIES),
            "cost": cost, "account": _cat(lacc, self.acc_codes),
        }, {"lead_id": ("L", 7)})

        # ---- opportunities: from leads and from existing customers
        from_lead = np.flatnonzero(rng.random(NL) < 0.55)
        od1 = ldate[from_lead] + rng.integers(0, 21, len(from_lead))
        keep = od1 <= self.a
        from_lead, od1 = from_lead[keep], od1[keep]
        n_acc = rng.poisson(_OPPS_PER_MONTH * self.f, M)
        od2 = self._month_days(n_acc)
        oacc2 = np.concatenate([self._pick_accounts(m, "crm", k) for m, k in enumerate(n_acc)])
        orep2 = np.where(self.acc_owner[oacc2] >= 0, self.acc_owner[oacc2], pick_rep(od2))
        odate = np.concatenate([od1, od2])
        olead = np.concatenate([from_lead, np.full(len(od2), -1)])
        oacc = np.concatenate([lacc[from_lead], oacc2])
        orep = np.concatenate([lrep[from_lead], orep2])
        NO = len(odate)
        age = self.a - odate
        converted = (olead >= 0) & (oacc >= 0)
        closed = rng.random(NO) < np.clip(age / 120.0, 0.05, 0.97)
        won = rng.random(NO) < np.where(converted, 0.75, 0.4)
        stage = np.where(closed, np.where(won, 3, 4), rng.choice(3, NO, p=[0.45, 0.35, 0.2]))
        cdate = np.where(closed, odate + (rng.random(NO) * np.minimum(age + 1, 120)).astype(np.int64), _NA_DAY)
        exp_close = np.where(rng.random(NO) < 0.1, _NA_DAY, odate + rng.integers(20, 121, NO))
        model = np.where(rng.random(NO) < 0.1, -1, rng.integers(0, len(_MODELS), NO))
        revenue = np.round(rng.lognormal(np.log(30_000), 0.7, NO), -2)
        o = np.lexsort((rng.random(NO), odate))
        self.store.insert("opportunities", {
            "opp_id": np.arange(1, NO + 1), "lead_id": np.where(olead[o] >= 0, olead[o] + 1, -1),
            "account": _cat(oacc[o], self.acc_codes), "rep": _cat(orep[o], self.rep_codes),
            "stage": _cat(stage[o], _STAGES), "model": _cat(model[o], _MODELS),
            "potential_revenue": revenue[o], "created_date": odate[o].astype(np.int32),
            "expected_close": exp_close[o].astype(np.int32), "closed_date": cdate[o].astype(np.int32),
        }, {"opp_id": ("OP", 6), "lead_id": ("L", 7)})

        # ---- activities: mostly with the rep's own accounts
        n_act = rng.poisson(_ACTIVITIES_PER_MONTH * self.f, M)
        adate = self._month_days(n_act)
        NA_ = len(adate)
        arep = pick_rep(adate)
        owned = np.argsort(self.acc_owner[cust], kind="stable")
        owners_sorted = self.acc_owner[cust][owned]
        lo_i = np.searchsorted(owners_sorted, arep, side="left")
        hi_i = np.searchsorted(owners_sorted, arep, side="right")
        cnt = hi_i - lo_i
        pickk = lo_i + (rng.random(NA_) * np.maximum(cnt, 1)).astype(np.int64)
        aacc = np.where(cnt > 0, owned[np.minimum(pickk, len(owned) - 1)], rng.integers(0, self.n_customers, NA_))
        aacc = np.where(rng.random(NA_) < 0.18, -1, aacc)
        atype = rng.choice(len(_ACTIVITY_TYPES), NA_, p=[0.4, 0.2, 0.25, 0.05, 0.1])
        lo_m = np.array([_ACTIVITY_MINUTES[t][0] for t in _ACTIVITY_TYPES])
        hi_m = np.array([_ACTIVITY_MINUTES[t][1] for t in _ACTIVITY_TYPES])
        minutes = np.round(rng.uniform(lo_m[atype], hi_m[atype]) / 5) * 5
        self.store.insert("activities", {
            "activity_id": np.arange(1, NA_ + 1), "date": adate.astype(np.int32),
            "rep": _cat(arep, self.rep_codes), "account": _cat(aacc, self.acc_codes),
            "activity_type": _cat(atype, _ACTIVITY_TYPES), "duration_minutes": minutes,
        }, {"activity_id": ("A", 8)})

        # ---- customer issues
        n_iss = rng.poisson(_ISSUES_PER_MONTH * self.f, M)
        idate = self._month_days(n_iss)
        iacc = np.concatenate([self._pick_accounts(m, "crm", k) for m, k in enumerate(n_iss)])
        NI = len(idate)
        sev = rng.choice(4, NI, p=[0.45, 0.35, 0.15, 0.05])
        scale_days = np.array([12.0, 7.0, 4.0, 2.0])[sev]
        rdate = idate + 1 + np.round(rng.exponential(scale_days)).astype(np.int64)
        rdate = np.where((rdate > self.a) | (rng.random(NI) < 0.05), _NA_DAY, rdate)
        self.store.insert("customer_issues", {
            "issue_id": np.arange(1, NI + 1), "account": _cat(iacc, self.acc_codes),
            "logged_date": idate.astype(np.int32), "severity": _cat(sev, _SEVERITIES),
            "category": _cat(rng.integers(0, len(_ISSUE_CATEGORIES), NI), _ISSUE_CATEGORIES),
            "resolved_date": rdate.astype(np.int32),
        }, {"issue_id": ("I", 6)})

    def targets(self) -> None:
        """Monthly plans near each rep's actual (prorated current month), new starter from hire."""
        rng = self.rng
        M, NR = self.M, self.sc.reps
        own = self.acc_owner
        sales = np.zeros((NR, M))
        margin = np.zeros((NR, M))
        m = own >= 0
        np.add.at(sales, own[m], self.acc_net[m])
        np.add.at(margin, own[m], self.acc_margin[m])
        sales[:, -1] = sales[:, -2]  # the current month is planned in full
        margin[:, -1] = margin[:, -2]
        typical_s = np.median(sales[:-1], axis=0) * 0.3
        typical_m = np.median(margin[:-1], axis=0) * 0.3
        no_acc = sales.sum(axis=1) == 0
        sales[no_acc] = typical_s
        margin[no_acc] = typical_m
        fs = rng.uniform(0.9, 1.25, (NR, M))
        st = np.round(sales * fs, -2) + 0.0
        mt = np.round(margin * fs * rng.uniform(0.95, 1.05, (NR, M)), -2) + 0.0
        rep = np.repeat(np.arange(NR), M)
        mon = np.tile(np.arange(M), NR)
        keep = mon >= self.rep_hired[rep]
        self.store.insert("targets", {
            "rep": _cat(rep[keep], self.rep_codes), "month": _cat(mon[keep], [m[2] for m in self.months]),
            "sales_target": st.ravel()[keep], "margin_target": mt.ravel()[keep],
        })
