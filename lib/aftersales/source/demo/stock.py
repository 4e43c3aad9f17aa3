"""The demo's stock: the parts movements derived from the parts lines, and the outstanding purchase orders."""

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

        def add(mtype, date, part, q, v):
            pieces.append((np.asarray(date, dtype=np.int64), np.asarray(part, dtype=np.int64),
                           np.full(len(date), mtype, dtype=np.int64), np.abs(q), np.abs(v)))

        for mask, mtype in ((counter & ~credit, _MV_INV), (counter & credit, _MV_RET), (~counter & credit, _MV_REV)):
            add(mtype, parts["date"][mask], parts["part"][mask], parts["q"][mask],
                parts["q"][mask] * parts["cost"][mask])
        R = self.req_buf
        rm = R["date"] <= me
        req = _take(R, rm)
        self.req_buf = _take(R, ~rm)
        add(_MV_REQ, req["date"], req["part"], req["q"], req["v"])
        # stock is replenished weekly: what went out in a week arrives on the next week's Tuesday
        out_m = counter & ~credit
        od = np.concatenate([parts["date"][out_m], req["date"]])
        rec = {"date": (od + 3) // 7 * 7 - 3 + 8,
               "part": np.concatenate([parts["part"][out_m], req["part"]]).astype(np.int64),
               "q": np.concatenate([parts["q"][out_m], req["q"]]),
               "v": np.concatenate([(parts["q"] * parts["cost"])[out_m], req["v"]])}
        rec = _take(rec, rec["date"] <= self.a)
        B = _concat(self.rec_buf, rec)
        bm = B["date"] <= me
        got = _take(B, bm)
        self.rec_buf = _take(B, ~bm)
        add(_MV_REC, got["date"], got["part"], got["q"], got["v"])

        date = np.concatenate([p[0] for p in pieces])
        part = np.concatenate([p[1] for p in pieces])
        mtype = np.concatenate([p[2] for p in pieces])
        q = np.concatenate([p[3] for p in pieces])
        v = np.concatenate([p[4] for p in pieces])
        o = np.lexsort((mtype, part, date))
        date, part, mtype, q, v = date[o], part[o], mtype[o], q[o], v[o]
        if len(o):
            new = np.r_[True, (date[1:] != date[:-1]) | (part[1:] != part[:-1]) | (mtype[1:] != mtype[:-1])]
            starts = np.flatnonzero(new)
            date, part, mtype = date[starts], part[starts], mtype[starts]
            q = np.add.reduceat(q, starts)
            v = np.add.reduceat(v, starts)
        self.store.insert("parts_movements", {
            "date": date.astype(np.int32), "part_no": _cat(part, self.part_cats),
            "movement_type": _cat(mtype, _MOVES), "quantity": np.round(q, 2) + 0.0, "value": _r2(v),
        })

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
        o = np.lexsort((line_no, order_no))
        self.store.insert("purchase_order_lines", {
            "order_no": order_no[o], "line_no": line_no[o], "part_no": _cat(part[o], self.part_cats),
            "state": _cat(state[o], _PO_STATES), "order_type": _cat(t[o], _PO_TYPES),
            "outstanding_qty": qty[o], "date_created": created[o].astype(np.int32),
            "date_required": required[o].astype(np.int32), "grn_date": grn[o].astype(np.int32),
        }, {"order_no": ("", 7)})
