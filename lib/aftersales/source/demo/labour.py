"""The demo's workshop and bodyshop jobs: their labour lines (split lines, menus, sublets, work in progress),
the parts sold through them and requisitioned to them, and their credit notes.

A job belongs to a branch (its owner, its technicians and its lines' rates are the branch's) and has a pay
type: customer (insurance jobs too), warranty (at the manufacturer's lower rate) or internal; a few customer
jobs leave it empty. Rates are whole cents and every line's gross is whole cents (``_whole_cents_rate``).
"""

from __future__ import annotations

import numpy as np

from aftersales.source.demo.arrays import (
    _BIG_DAY,
    _NA_DAY,
    _UNASSIGNED,
    _concat,
    _dimes,
    _neg,
    _r2,
    _take,
    _whole_cents_rate,
    _within,
)
from aftersales.source.demo.base import _B_JOBS_PER_DAY, _P_CREDIT, _W_JOBS_PER_DAY, _Base
from aftersales.source.demo.names import (
    _B,
    _B_OPS,
    _K_FLEET,
    _LT_BDY,
    _LT_DIA,
    _LT_HOURS,
    _LT_INT,
    _LT_MOT,
    _LT_PNT,
    _LT_RATE,
    _LT_REP,
    _LT_SUB,
    _LT_SVC,
    _LT_WAR,
    _OPS_PER_BRANCH,
    _PT_CUSTOMER,
    _PT_EMPTY_P,
    _PT_INTERNAL,
    _PT_WARRANTY,
    _ST_BODY,
    _ST_FLEET,
    _ST_INSURANCE,
    _ST_INTERNAL,
    _ST_WARRANTY,
    _ST_WSHOP,
    _W,
    _W_OPS,
)


class _Labour(_Base):
    """Jobs drawn per workshop day; their lines wait in ``lab_buf`` for a technician and the month's flush."""

    # ---------------------------------------------------------------- jobs
    def _jobs(self, i: int, ms: int, me: int) -> tuple[dict, dict, dict]:
        rng = self.rng
        days = self.bdays[(self.bdays >= ms) & (self.bdays <= me)]
        season = self._season(days)
        # jobs are booked against workshop capacity: half the variance of random arrivals
        nW = rng.binomial(np.round(2 * _W_JOBS_PER_DAY * self.f * season).astype(np.int64), 0.5)
        nB = rng.binomial(np.round(2 * _B_JOBS_PER_DAY * self.f * season).astype(np.int64), 0.5)
        created = np.concatenate([np.repeat(days, nW), np.repeat(days, nB)])
        dept = np.concatenate([np.full(nW.sum(), _W), np.full(nB.sum(), _B)]).astype(np.int8)
        order = np.argsort(created, kind="stable")
        created, dept = created[order], dept[order]
        nj = len(created)
        wip = np.arange(self.next_wip, self.next_wip + nj, dtype=np.int64)
        self.next_wip += nj
        isW = dept == _W
        # kind of job: 0 customer, 1 warranty, 2 internal, 3 insurance
        u = rng.random(nj)
        jkind = np.where(isW, np.select([u < 0.82, u < 0.94], [0, 1], 2),
                         np.select([u < 0.38, u < 0.40, u < 0.42], [0, 1, 2], 3))
        acc = np.select(
            [jkind == 1, jkind == 2, (jkind == 0) & isW, (jkind == 0) & ~isW],
            [np.full(nj, self.WARR), np.full(nj, self.INTERNAL),
             self._pick_accounts(i, "workshop", nj), self._pick_accounts(i, "bodyshop", nj)],
            self._pick_accounts(i, "insurance", nj))
        fleet = self.acc_kind[acc] == _K_FLEET
        st = np.select(
            [jkind == 1, jkind == 2, jkind == 3, isW & fleet, isW],
            [_ST_WARRANTY, _ST_INTERNAL, _ST_INSURANCE, _ST_FLEET, _ST_WSHOP], _ST_BODY)
        br = np.where(isW, self._branch_of(nj), self._branch_of(nj, bodyshop=True))
        pt = np.select([jkind == 1, jkind == 2], [_PT_WARRANTY, _PT_INTERNAL], _PT_CUSTOMER)
        pt = np.where((pt == _PT_CUSTOMER) & (rng.random(nj) < _PT_EMPTY_P), -1, pt).astype(np.int8)
        first_op = br * _OPS_PER_BRANCH
        owner = first_op + np.where(isW, rng.choice(_W_OPS, nj), rng.choice(_B_OPS, nj))
        parts_op = first_op + np.where(isW, rng.choice(_W_OPS, nj), rng.choice(_B_OPS, nj))
        mpu = np.where(rng.random(nj) < np.where(isW, 0.08, 0.4), 6.0, 60.0)
        menu = isW & (jkind == 0) & (rng.random(nj) < 0.28)
        ratio = rng.uniform(0.78, 0.93, nj)  # menu price / normal price
        long_job = rng.random(nj) < np.where(isW, 0.03, 0.10)
        dur = np.where(isW, rng.choice([0, 1, 2, 3, 4], nj, p=[0.6, 0.25, 0.07, 0.05, 0.03]),
                       rng.integers(2, 13, nj))
        dur = np.where(long_job, rng.integers(15, 46, nj), dur)
        cidx = np.searchsorted(self.bdays, created)
        lag = rng.choice([0, 1, 2, 3, 5], nj, p=[0.7, 0.2, 0.05, 0.03, 0.02])
        # a few jobs get stuck for months (a warranty claim to approve, a customer who does not collect):
        # the work in progress that ages past 60 and 90 days
        lag = np.where(rng.random(nj) < 0.006, rng.integers(40, 160, nj), lag)
        inv_day = self.bdays[np.minimum(cidx + dur + lag, len(self.bdays) - 1)]
        invoiced = inv_day <= self.a
        doc = np.full(nj, -1, dtype=np.int64)
        doc[invoiced] = self._ids(int(invoiced.sum()))

        # ---- labour lines
        nl = np.where(isW, np.where(menu, 1 + rng.poisson(0.4, nj), 1 + rng.poisson(1.7, nj)),
                      2 + rng.poisson(2.5, nj))
        jl = np.repeat(np.arange(nj), nl)
        L = len(jl)
        line_no = _within(nl) + 1
        menu_line = menu[jl] & (line_no == 1)
        wl = isW[jl]
        k = jkind[jl]
        lt = np.select(
            [menu_line, wl & (k == 0), wl & (k == 1), wl & (k == 2)],
            [np.full(L, _LT_SVC), rng.choice([_LT_SVC, _LT_REP, _LT_MOT, _LT_DIA], L, p=[0.25, 0.5, 0.12, 0.13]),
             np.full(L, _LT_WAR), np.full(L, _LT_INT)],
            rng.choice([_LT_BDY, _LT_PNT], L, p=[0.55, 0.45]))
        lt = np.where(~menu_line & (rng.random(L) < 0.015), _LT_SUB, lt)
        sub = lt == _LT_SUB
        hours = np.clip(np.round(rng.lognormal(np.log(_LT_HOURS[lt]) - 0.15, 0.55), 1), 0.1,
                        np.round(3 * _LT_HOURS[lt], 1))
        hours = np.where(lt == _LT_MOT, 1.0, hours)
        hours = np.where(menu_line, rng.choice([1.0, 1.5, 2.0, 2.5], L), hours)
        hours = np.where(sub, 1.0, hours)
        lmpu = mpu[jl]
        allowed = np.round(hours * 60.0 / lmpu, 1)
        work_idx = cidx[jl] + np.where(line_no == 1, 0, rng.integers(0, dur[jl] + 1))
        work_day = self.bdays[work_idx]
        started = (work_day <= self.a) & ~sub
        split = ~sub & ~menu_line & (rng.random(L) < 0.05)
        step = np.where(split, 0.2, 0.1)
        taken_h = np.maximum(np.round(hours * rng.lognormal(0.02, 0.22, L) / step) * step, step)
        taken_h = np.round(np.where(started, taken_h, 0.0), 1)
        taken = np.where(sub, allowed, np.round(taken_h * 60.0 / lmpu, 1))
        sub_price = _r2(rng.lognormal(np.log(180.0), 0.6, L))
        # the branch's hourly rates in whole units; the MOT test's fee is fixed by law
        hourly = np.where(lt == _LT_MOT, _LT_RATE[lt], np.round(_LT_RATE[lt] * self.branch_rate[br[jl]]))
        std_rate = np.where(sub, sub_price, hourly) * lmpu / 60.0
        rate = _r2(np.where(menu_line, std_rate * ratio[jl], std_rate))
        rate = _whole_cents_rate(rate, allowed, np.where(split, 50, 100))
        mf = np.where(menu_line, _r2(allowed * rate), np.nan)
        mn = np.where(menu_line, _r2(allowed * std_rate), np.nan)
        lacc = acc[jl]
        dpct = self.acc_disc[lacc] + np.where(self.acc_gpdrop[lacc] & (i >= self.M - 3), 0.10, 0.0)
        has_disc = (dpct > 0) & (k == 0) & ~menu_line & ~sub & (rng.random(L) < 0.5)
        ldisc = np.where(has_disc, _r2(allowed * rate * dpct), 0.0)
        later = (line_no > 1) & started & (rng.random(L) < 0.2)
        date_created = np.where(later, work_day, created[jl])
        sub_cph = _r2(sub_price * rng.uniform(0.7, 0.85, L))
        line_uid = self._ids(L)

        reps = 1 + split.astype(np.int64)
        r = np.repeat(np.arange(L), reps)
        R = len(r)
        part2 = _within(reps)
        contrib = np.where(split[r], 50.0, 100.0)
        inv_r = invoiced[jl[r]]
        lab = {
            "wip": wip[jl[r]], "line_no": line_no[r].astype(np.int64),
            "doc": np.where(inv_r, doc[jl[r]], -1),
            "doctype": np.where(inv_r, 0, -1).astype(np.int8),
            "created": date_created[r].astype(np.int64),
            "edit": np.where(inv_r, inv_day[jl[r]], _NA_DAY).astype(np.int64),
            "acc": lacc[r].astype(np.int64), "dept": dept[jl[r]], "lt": lt[r].astype(np.int8),
            "owner": owner[jl[r]].astype(np.int32), "br": br[jl[r]].astype(np.int32),
            "pt": pt[jl[r]],
            "tech": np.where(sub[r], -1, _UNASSIGNED).astype(np.int64),
            "allowed": allowed[r], "taken": taken[r], "mpu": lmpu[r], "rate": rate[r],
            "contrib": contrib, "cph": np.where(sub[r], sub_cph[r], 0.0),
            "flat": np.where(sub[r], 1, 0).astype(np.int8),
            "disc": _r2(ldisc[r] * contrib / 100.0), "mn": mn[r], "mf": mf[r],
            "work": np.where(started[r], work_day[r], _BIG_DAY).astype(np.int64),
            "hours": taken_h[r], "line_uid": line_uid[r], "part2": part2.astype(np.int8),
            "uid": self._ids(R), "orig": np.full(R, -1, dtype=np.int64),
            "key": np.where(inv_r, inv_day[jl[r]], _BIG_DAY).astype(np.int64),
            "inv": np.where(inv_r, inv_day[jl[r]], _BIG_DAY).astype(np.int64),
        }

        # ---- parts sold through the jobs
        np_ = np.select([menu, isW & (jkind == 0), jkind == 1, jkind == 2],
                        [2 + rng.poisson(1.5, nj), rng.poisson(1.3, nj), 1 + rng.poisson(1.0, nj),
                         rng.poisson(1.5, nj)], 2 + rng.poisson(3.0, nj))
        jp = np.repeat(np.arange(nj), np_)
        pr = self._price(i, acc[jp], st[jp])
        pm = menu[jp]
        mnp = _r2(pr["q"] * pr["sp"])
        sp_m = _r2(np.maximum(pr["sp"] * ratio[jp], pr["cost"] * 1.02))
        sp_m = np.where(self.part_fluid[pr["part"]], _dimes(sp_m, up=True), sp_m)
        pr["sp"] = np.where(pm, sp_m, pr["sp"])
        pr["mn"] = np.where(pm, mnp, np.nan)
        pr["mf"] = np.where(pm, _r2(pr["q"] * sp_m), np.nan)
        pr["disc"] = np.where(pm, 0.0, pr["disc"])
        prow = self._parts_rows(inv_day[jp], doc[jp], 0, acc[jp], wip[jp], dept[jp], st[jp],
                                parts_op[jp], _within(np_), pr, br[jp], pt[jp])
        req = {"date": created[jp].astype(np.int64), "part": pr["part"], "q": pr["q"],
               "v": pr["q"] * pr["cost"], "br": br[jp].astype(np.int32)}
        keep = invoiced[jp]
        prow_jobs = jp[keep]
        prow = _take(prow, keep)

        # ---- credit notes on some invoiced jobs
        cred = invoiced & (rng.random(nj) < _P_CREDIT)
        cday = np.where(cred, self._credit_day(inv_day), _BIG_DAY)
        cred &= cday <= self.a
        cdoc = np.full(nj, -1, dtype=np.int64)
        cdoc[cred] = self._ids(int(cred.sum()))
        psel = cred[prow_jobs] & (rng.random(len(prow_jobs)) < 0.7)
        lsel_line = cred[jl] & (rng.random(L) < 0.3)
        # a credited job credits at least one line
        got = np.bincount(prow_jobs[psel], minlength=nj) + np.bincount(jl[lsel_line], minlength=nj)
        empty = cred & (got == 0)
        has_parts = np.bincount(prow_jobs, minlength=nj) > 0
        psel |= empty[prow_jobs] & has_parts[prow_jobs] & (prow["seq"] == 0)
        lsel_line |= empty[jl] & ~has_parts[jl] & (line_no == 1)
        ps = np.flatnonzero(psel)
        pcred = self._credit_parts(prow, ps, cdoc[prow_jobs[ps]], cday[prow_jobs[ps]])
        ls = np.flatnonzero(lsel_line[r])
        lc = _take(lab, ls)
        cj = jl[r[ls]]
        # new line numbers after the job's last line, one per credited line
        first_row = np.r_[True, lc["line_uid"][1:] != lc["line_uid"][:-1]] if len(ls) else np.zeros(0, bool)
        newline_rank = np.cumsum(first_row)
        if len(ls):
            job_start = np.r_[True, cj[1:] != cj[:-1]]
            base_rank = newline_rank[np.flatnonzero(job_start)][np.cumsum(job_start) - 1]
            lc["line_no"] = nl[cj] + (newline_rank - base_rank + 1)
        lc["doc"] = cdoc[cj]
        lc["doctype"] = np.ones(len(ls), dtype=np.int8)
        lc["created"] = cday[cj].astype(np.int64)
        lc["edit"] = cday[cj].astype(np.int64)
        lc["key"] = cday[cj].astype(np.int64)
        for c in ("allowed", "taken", "disc", "mn", "mf"):
            lc[c] = _neg(lc[c])
        lc["work"] = np.full(len(ls), _BIG_DAY, dtype=np.int64)
        lc["inv"] = np.full(len(ls), _BIG_DAY, dtype=np.int64)
        lc["hours"] = np.zeros(len(ls))
        lc["orig"] = lc["uid"]
        lc["uid"] = self._ids(len(ls))
        lc["line_uid"] = self._ids(len(ls))
        lab = _concat(lab, lc)
        return _concat(prow, pcred), lab, req
