"""The demo's stock, per branch: the parts movements derived from the parts lines, the outstanding purchase
orders, and the stock file as it stands on as_of (``parts_stock``).

The stock file follows the movements: a part's last sale is its last issue (invoiced over the counter or
requisitioned to a job) and its last receipt its last ``received`` movement. Parts issued in the last year
hold a few weeks of their demand (most of the value, fresh; three in ten slow movers, under four a
year, are stocked, the others ordered when asked for). Then a long tail of obsolete stock, a row per
four live rows, mostly of one unit: parts that stopped selling a year ago or more, parts never
sold in the branch and, where those run short, superseded part numbers (the catalogue's number + "S");
never-sold rows were received before the history began, or have no dates at all. A few rows are out of
stock (0) or negative (a count to correct).
"""

from __future__ import annotations

import numpy as np

from aftersales.source.demo.arrays import _NA_DAY, _cat, _concat, _r2, _take, _within
from aftersales.source.demo.base import _PO_LINES, _Base
from aftersales.source.demo.names import (
    _MOVES,
    _MV_INV,
    _MV_REC,
    _MV_REQ,
    _MV_RET,
    _MV_REV,
    _P,
    _PO_STATES,
    _PO_TYPES,
    _SUBLETS,
)


class _Stock(_Base):
    """Parts movements (invoiced, returned, requisitioned, reversed, received) and purchase order lines."""

    def _movements(self, parts: dict, me: int) -> None:
        counter = parts["dept"] == _P
        credit = parts["doctype"] == 1
        pieces = []

        def add(mtype, date, part, q, v, br):
            pieces.append((np.asarray(date, dtype=np.int64), np.asarray(part, dtype=np.int64),
                           np.full(len(date), mtype, dtype=np.int64), np.abs(q), np.abs(v),
                           np.asarray(br, dtype=np.int64)))

        for mask, mtype in ((counter & ~credit, _MV_INV), (counter & credit, _MV_RET), (~counter & credit, _MV_REV)):
            add(mtype, parts["date"][mask], parts["part"][mask], parts["q"][mask],
                parts["q"][mask] * parts["cost"][mask], parts["br"][mask])
        R = self.req_buf
        rm = R["date"] <= me
        req = _take(R, rm)
        self.req_buf = _take(R, ~rm)
        add(_MV_REQ, req["date"], req["part"], req["q"], req["v"], req["br"])
        # stock is replenished weekly: what went out in a week arrives on the next week's Tuesday
        out_m = counter & ~credit
        od = np.concatenate([parts["date"][out_m], req["date"]])
        rec = {"date": (od + 3) // 7 * 7 - 3 + 8,
               "part": np.concatenate([parts["part"][out_m], req["part"]]).astype(np.int64),
               "q": np.concatenate([parts["q"][out_m], req["q"]]),
               "v": np.concatenate([(parts["q"] * parts["cost"])[out_m], req["v"]]),
               "br": np.concatenate([parts["br"][out_m], req["br"]]).astype(np.int32)}
        rec = _take(rec, rec["date"] <= self.a)
        B = _concat(self.rec_buf, rec)
        bm = B["date"] <= me
        got = _take(B, bm)
        self.rec_buf = _take(B, ~bm)
        add(_MV_REC, got["date"], got["part"], got["q"], got["v"], got["br"])

        date, part, mtype, q, v, br = (np.concatenate([p[k] for p in pieces]) for k in range(6))
        o = np.lexsort((mtype, part, br, date))
        date, part, mtype, q, v, br = date[o], part[o], mtype[o], q[o], v[o], br[o]
        if len(o):
            new = np.r_[True, (date[1:] != date[:-1]) | (br[1:] != br[:-1]) | (part[1:] != part[:-1])
                        | (mtype[1:] != mtype[:-1])]
            starts = np.flatnonzero(new)
            date, part, mtype, br = date[starts], part[starts], mtype[starts], br[starts]
            q = np.add.reduceat(q, starts)
            v = np.add.reduceat(v, starts)
        self._follow_stock(date, part, mtype, q, br)
        self.store.insert("parts_movements", {
            "date": date.astype(np.int32), "part_no": _cat(part, self.part_cats),
            "movement_type": _cat(mtype, _MOVES), "quantity": np.round(q, 2) + 0.0, "value": _r2(v),
            "branch": _cat(br, self.branch_codes),
        })

    def _follow_stock(self, date, part, mtype, q, br) -> None:
        """Keep, per branch and part, the last issue, the last receipt and the quantity issued in the last year."""
        if self.last_sale is None:
            size = self.NB * len(self.part_cats)
            self.last_sale = np.full(size, _NA_DAY, dtype=np.int64)
            self.last_receipt = np.full(size, _NA_DAY, dtype=np.int64)
            self.demand = np.zeros(size)
        key = br * len(self.part_cats) + part
        issue = (mtype == _MV_INV) | (mtype == _MV_REQ)
        np.maximum.at(self.last_sale, key[issue], date[issue])
        year = issue & (date > self.a - 365)
        np.add.at(self.demand, key[year], q[year])
        got = mtype == _MV_REC
        np.maximum.at(self.last_receipt, key[got], date[got])

    # ------------------------------------------------------ purchase orders
    def purchase_orders(self) -> None:
        rng = self.rng
        target = max(60, int(round(_PO_LINES * self.f)))
        n_orders = max(10, target // 3)
        per = 1 + rng.poisson(2.0, n_orders)
        otype = rng.choice(3, n_orders, p=[0.55, 0.3, 0.15])
        per = np.where(otype == 2, 1, per)
        band = rng.choice(6, n_orders, p=[0.2, 0.2, 0.15, 0.15, 0.12, 0.18])
        lo, hi = np.array([0, 15, 46, 76, 106, 141]), np.array([15, 46, 76, 106, 141, 420])
        age = rng.integers(lo[band], hi[band])
        ocreated = self.a - age
        oi = np.repeat(np.arange(n_orders), per)
        n = len(oi)
        line_no = _within(per) + 1
        t = otype[oi]
        part = np.where(t == 2, self.NP + rng.integers(0, len(_SUBLETS), n),
                        rng.choice(self.NP, n, p=self.part_p))
        created = ocreated[oi]
        lead = np.where(t == 1, rng.integers(1, 6, n), rng.integers(2, 31, n))
        required = np.where(rng.random(n) < 0.15, _NA_DAY, created + lead)
        grn_day = created + (rng.random(n) * np.minimum(age[oi] + 1, 60)).astype(np.int64)
        has_grn = (rng.random(n) < 0.3) & (grn_day <= self.a)
        grn = np.where(has_grn, grn_day, _NA_DAY)
        state = np.where(has_grn, 3, rng.choice([0, 1, 2, 4], n, p=[0.4, 0.3, 0.2, 0.1]))
        qty = np.where(t == 2, 1.0, rng.integers(1, 13, n).astype(float))
        qty = np.where(rng.random(n) < 0.06, 0.0, qty)
        order_no = (np.argsort(np.argsort(ocreated, kind="stable"), kind="stable") + 52_000)[oi]
        branch = self._branch_of(n_orders)[oi]
        o = np.lexsort((line_no, order_no))
        self.store.insert("purchase_order_lines", {
            "order_no": order_no[o], "line_no": line_no[o], "part_no": _cat(part[o], self.part_cats),
            "state": _cat(state[o], _PO_STATES), "order_type": _cat(t[o], _PO_TYPES),
            "outstanding_qty": qty[o], "date_created": created[o].astype(np.int32),
            "date_required": required[o].astype(np.int32), "grn_date": grn[o].astype(np.int32),
            "branch": _cat(branch[o], self.branch_codes),
        }, {"order_no": ("", 7)})

    # ---------------------------------------------------------- stock file
    def parts_stock(self) -> None:
        """The stock file on as_of, per branch (see the module's docstring)."""
        rng = self.rng
        npc = len(self.part_cats)
        old_codes = [f"{code}S" for code in self.part_no]  # superseded numbers of the catalogue's parts
        cols: dict[str, list] = {k: [] for k in ("b", "part", "qty", "sale", "receipt")}
        for b in range(self.NB):
            # the catalogue's parts (the first NP of part_cats): sublets are bought in per job, never stocked
            sale = self.last_sale[b * npc:b * npc + self.NP]
            receipt = self.last_receipt[b * npc:b * npc + self.NP]
            demand = self.demand[b * npc:b * npc + self.NP]
            # issued in the last year: a few weeks of demand on the shelf (slow movers mostly ordered on demand)
            live = (demand > 0) & ((demand >= 4) | (rng.random(self.NP) < 0.3))
            weeks = rng.uniform(1.5, 9.0, self.NP)
            qty = np.where(self.part_fluid, np.ceil(demand / 52 * weeks * 10) / 10, np.ceil(demand / 52 * weeks))
            u = rng.random(self.NP)
            qty = np.where(u < 0.03, 0.0, qty)  # sold out, awaiting the next delivery
            qty = np.where((u >= 0.03) & (u < 0.037), -rng.integers(1, 4, self.NP).astype(float), qty)
            # the obsolete tail, a row per four live rows: parts that stopped selling, parts never sold
            # here, then superseded numbers, each with one unit or a few
            target = int(round(0.25 * live.sum()))
            cand = demand <= 0
            keep = cand & (rng.random(self.NP) < min(0.85, target / max(int(cand.sum()), 1)))
            n_old = max(0, target - int(keep.sum()))
            old = np.sort(rng.choice(self.NP, min(n_old, self.NP), replace=False)) + npc
            rows = np.concatenate([np.flatnonzero(live | keep), old])
            n = len(rows)
            few = rng.choice([1.0, 2.0, 3.0, 4.0], n, p=[0.8, 0.15, 0.04, 0.01])
            inside = rows < npc
            at = np.minimum(rows, self.NP - 1)
            bought = np.where(rng.random(n) < 0.25, _NA_DAY, self.d0 - rng.integers(1, 1200, n))
            cols["b"].append(np.full(n, b))
            cols["part"].append(rows)
            cols["qty"].append(np.where(inside & live[at], qty[at], few))
            cols["sale"].append(np.where(inside, sale[at], _NA_DAY))
            got = np.where(inside, receipt[at], _NA_DAY)
            cols["receipt"].append(np.where(got == _NA_DAY, np.where(inside & (sale[at] != _NA_DAY), got, bought), got))
        b, rows, qty, sale, receipt = (np.concatenate(cols[k]) for k in ("b", "part", "qty", "sale", "receipt"))
        self.store.insert("parts_stock", {
            "branch": _cat(b, self.branch_codes), "part_no": _cat(rows, self.part_cats + old_codes),
            "on_hand_qty": np.round(qty, 1) + 0.0, "unit_cost": self.part_cost[np.where(rows < npc, rows, rows - npc)],
            "last_sale_date": sale.astype(np.int32), "last_receipt_date": receipt.astype(np.int32),
        })
