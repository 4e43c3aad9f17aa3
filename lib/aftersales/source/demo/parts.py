"""The demo's parts: the catalogue, pricing parts lines, counter sales and their credit notes.

Prices are whole cents like a real invoice; fluids, sold by the tenth of a litre, are priced in multiples
of 0.10, so that every line's gross, net and cost is whole cents too.
"""

from __future__ import annotations

import numpy as np

from aftersales.source.demo.arrays import _BIG_DAY, _concat, _dimes, _neg, _r2, _take, _within
from aftersales.source.demo.base import _COUNTER_DOCS_PER_DAY, _P_CREDIT, _Base
from aftersales.source.demo.names import (
    _COUNTER_OP_P,
    _COUNTER_OPS,
    _K_RETAIL,
    _K_TRADE,
    _OPS_PER_BRANCH,
    _P,
    _PT_CUSTOMER,
    _PT_EMPTY_P,
    _ST_EXPORT,
    _ST_INTERNAL,
    _ST_ONLINE,
    _ST_RETAIL,
    _ST_STAFF,
    _ST_TRADE,
    _ST_WARRANTY,
    _ST_WHOLESALE,
    _SUBLETS,
)

_QTY_VALUES = np.array([1, 2, 3, 4, 5, 6, 8, 10], dtype=float)
_QTY_P = np.array([0.62, 0.17, 0.05, 0.09, 0.02, 0.02, 0.015, 0.015])


class _Parts(_Base):
    """The parts catalogue (``part_*``) and the parts lines of counter sales; jobs price their parts here too."""

    def _make_parts(self) -> None:
        rng = self.rng
        n = self.sc.parts
        style = rng.integers(0, 4, n)
        digits = rng.integers(0, 10**9, (n, 2))
        letters = rng.integers(0, 26, (n, 5))
        alnum = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
        seen = set()
        part_no = []
        for k in range(n):
            d1, d2 = int(digits[k, 0]), int(digits[k, 1])
            s = style[k]
            if s == 0:
                code = f"{d1 % 100000:05d}-{''.join(alnum[(d2 >> (5 * j)) % 33] for j in range(5))}"
            elif s == 1:
                code = f"0{d1:09d}"
            elif s == 2:
                code = f"A{d1 % 1000:03d}{d2 % 1000:03d}{(d1 // 1000) % 100:02d}{(d2 // 1000) % 100:02d}"
            else:
                code = f"{chr(65 + letters[k, 0])}{chr(65 + letters[k, 1])}{d1 % 1000000:06d}"
            while code in seen:
                code = code + "X"
            seen.add(code)
            part_no.append(code)
        self.part_no = part_no
        cost = np.clip(rng.lognormal(np.log(12.0), 1.1, n), 0.4, 2500.0)
        self.part_fluid = rng.random(n) < 0.03
        self.part_cost = np.where(self.part_fluid, np.maximum(_dimes(cost), 0.1), _r2(cost))
        markup = np.where(self.part_fluid, rng.uniform(1.6, 2.2, n), rng.uniform(1.3, 2.1, n))
        retail = np.maximum(self.part_cost * markup, self.part_cost + 0.05)
        self.part_retail = np.where(self.part_fluid, _dimes(retail, up=True), _r2(retail))
        rank = rng.permutation(n)
        pop = 1.0 / (rank + 10.0) ** 0.95 * np.where(self.part_fluid, 5.0, 1.0)
        self.part_p = pop / pop.sum()
        self.NP = n
        self.part_cats = part_no + _SUBLETS

    # ------------------------------------------------------------ pricing
    def _price(self, i: int, acc: np.ndarray, st: np.ndarray) -> dict:
        rng = self.rng
        n = len(acc)
        part = rng.choice(self.NP, n, p=self.part_p).astype(np.int32)
        fluid = self.part_fluid[part]
        qty = np.where(fluid, np.round(rng.uniform(0.5, 7.5, n), 1), rng.choice(_QTY_VALUES, n, p=_QTY_P))
        retail = self.part_retail[part]
        cost = self.part_cost[part]
        sp = retail * (1.0 - self.acc_trade[acc])
        house = (st == _ST_WARRANTY) | (st == _ST_INTERNAL)
        sp = np.where(st == _ST_WARRANTY, cost * 1.15, sp)
        sp = np.where(st == _ST_INTERNAL, cost * 1.05, sp)
        sp = np.where(st == _ST_STAFF, cost * 1.10, sp)
        sp = _r2(np.maximum(sp, cost * 1.03))
        loss = rng.random(n) < 0.0006  # a handful of lines sold below cost
        sp = np.where(loss, _r2(cost * rng.uniform(0.6, 0.95, n)), sp)
        sp = np.where(fluid, np.where(loss, _dimes(sp), _dimes(sp, up=True)), sp)
        dpct = self.acc_disc[acc] + np.where(self.acc_gpdrop[acc] & (i >= self.M - 3), 0.10, 0.0)
        has_disc = (dpct > 0) & (rng.random(n) < 0.6) & ~loss & ~house
        disc = np.where(has_disc, _r2(np.minimum(qty * sp * dpct, 0.8 * qty * (sp - cost))), 0.0)
        u = rng.random(n)
        fp = np.where(u < 0.08, 0, np.where(u < 0.14, -1, 1)).astype(np.int8)
        vor = np.where((fp == 0) & (rng.random(n) < 0.6), _r2(qty * cost * rng.uniform(0.05, 0.3, n)), np.nan)
        return {"part": part, "q": qty, "retail": retail, "sp": sp, "disc": disc, "cost": cost,
                "mn": np.full(n, np.nan), "mf": np.full(n, np.nan), "fp": fp, "vor": vor}

    def _parts_rows(self, date, doc, doctype, acc, wip, dept, st, op, seq, pr, br, pt) -> dict:
        n = len(date)
        return {"date": np.asarray(date, dtype=np.int64), "doc": np.asarray(doc, dtype=np.int64),
                "doctype": np.full(n, doctype, dtype=np.int8) if np.isscalar(doctype) else doctype,
                "acc": np.asarray(acc, dtype=np.int64), "wip": np.asarray(wip, dtype=np.int64),
                "dept": np.asarray(dept, dtype=np.int8), "st": np.asarray(st, dtype=np.int8),
                "op": np.asarray(op, dtype=np.int32), "seq": np.asarray(seq, dtype=np.int64),
                "br": np.asarray(br, dtype=np.int32), "pt": np.asarray(pt, dtype=np.int8), **pr}

    def _credit_day(self, d: np.ndarray) -> np.ndarray:
        later = d + self.rng.geometric(0.12, len(d))
        idx = np.minimum(np.searchsorted(self.cdays, later), len(self.cdays) - 1)
        return self.cdays[idx]

    def _credit_parts(self, rows: dict, sel: np.ndarray, credit_doc: np.ndarray, credit_day: np.ndarray) -> dict:
        """Credit-note lines reversing rows[sel]; credit_doc/day are per selected row."""
        c = _take(rows, sel)
        c["doc"] = credit_doc
        c["date"] = credit_day
        c["doctype"] = np.ones(len(sel), dtype=np.int8)
        c["q"] = _neg(c["q"])
        c["disc"] = _neg(c["disc"])
        c["mn"] = _neg(c["mn"])
        c["mf"] = _neg(c["mf"])
        c["fp"] = np.full(len(sel), -1, dtype=np.int8)
        c["vor"] = np.full(len(sel), np.nan)
        # line order inside the credit note
        order = np.lexsort((c["seq"], c["doc"]))
        c = _take(c, order)
        new = np.r_[True, c["doc"][1:] != c["doc"][:-1]]
        c["seq"] = np.arange(len(order)) - np.flatnonzero(new)[np.cumsum(new) - 1]
        return c

    # ------------------------------------------------------- counter sales
    def _counter(self, i: int, ms: int, me: int) -> dict:
        rng = self.rng
        days = self.cdays[(self.cdays >= ms) & (self.cdays <= me)]
        lam = _COUNTER_DOCS_PER_DAY * self.f * np.where(self.wd[days - self.d0] == 5, 0.45, 1.0) * self._season(days)
        per_day = rng.poisson(lam)
        dday = np.repeat(days, per_day)
        nd = len(dday)
        cash = rng.random(nd) < 0.12
        acc = np.where(cash, self.CASH, self._pick_accounts(i, "counter", nd))
        kind = self.acc_kind[acc]
        u = rng.random(nd)
        st = np.select(
            [cash, kind == _K_RETAIL, kind == _K_TRADE],
            [np.full(nd, _ST_RETAIL),
             np.where(u < 0.8, _ST_RETAIL, np.where(u < 0.96, _ST_ONLINE, _ST_STAFF)),
             np.where(u < 0.8, _ST_TRADE, np.where(u < 0.95, _ST_WHOLESALE, _ST_EXPORT))],
            _ST_TRADE)
        br = self._branch_of(nd)
        op = br * _OPS_PER_BRANCH + rng.choice(_COUNTER_OPS, nd, p=_COUNTER_OP_P)
        pt = np.where(rng.random(nd) < _PT_EMPTY_P, -1, _PT_CUSTOMER)  # over the counter: customers pay
        doc = self._ids(nd)
        nl = 1 + rng.poisson(1.2, nd)
        li = np.repeat(np.arange(nd), nl)
        pr = self._price(i, acc[li], st[li])
        rows = self._parts_rows(dday[li], doc[li], 0, acc[li], np.full(len(li), -1), np.full(len(li), _P),
                                st[li], op[li], _within(nl), pr, br[li], pt[li])
        # credit notes
        cred = rng.random(nd) < _P_CREDIT
        cday = np.where(cred, self._credit_day(dday), _BIG_DAY)
        cred &= cday <= self.a
        cdoc = np.full(nd, -1, dtype=np.int64)
        cdoc[cred] = self._ids(int(cred.sum()))
        pick = cred[li] & ((rng.random(len(li)) < 0.7) | (rows["seq"] == 0))
        sel = np.flatnonzero(pick)
        credit = self._credit_parts(rows, sel, cdoc[li[sel]], cday[li[sel]])
        return _concat(rows, credit)
