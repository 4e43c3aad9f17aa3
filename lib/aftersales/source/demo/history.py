"""The demo's history, month by month: draw a month's counter sales and jobs, then write the lines finished
by its end (document numbers in date order, parts_lines, labour_lines, sales and margin per account and
the figures per branch that the budgets and overheads are planned from)."""

from __future__ import annotations

import numpy as np

from aftersales.source.demo.arrays import _BIG_DAY, _NA_DAY, _cat, _concat, _take
from aftersales.source.demo.base import _Base
from aftersales.source.demo.names import _LT, _PAY, _ST, DEPARTMENTS


class _History(_Base):
    """The month-by-month loop, and the flush that numbers documents and writes a month's lines."""

    # ----------------------------------------------------------- history
    def history(self) -> None:
        empty_req = {"date": np.zeros(0, np.int64), "part": np.zeros(0, np.int64),
                     "q": np.zeros(0), "v": np.zeros(0), "br": np.zeros(0, np.int32)}
        self.req_buf = empty_req
        self.rec_buf = dict(empty_req)
        for i, (ms, me, ym) in enumerate(self.months):
            counter = self._counter(i, ms, me)
            jparts, lab, req = self._jobs(i, ms, me)
            self.parts_buf = _concat(self.parts_buf, _concat(counter, jparts))
            self.lab_buf = _concat(self.lab_buf, lab)
            self.req_buf = _concat(self.req_buf, req)
            self._flush(i, final=i == self.M - 1)
            self.progress(f"parts_lines, labour_lines, clockings {i + 1}/{self.M} months ({ym})")

    # --------------------------------------------------------------- flush
    def _flush(self, i: int, final: bool) -> None:
        ms, me, _ = self.months[i]
        seg = self._assign(i, final)
        self._clockings(i, seg, final)

        P = self.parts_buf
        pm = P["date"] <= me
        parts = _take(P, pm)
        self.parts_buf = _take(P, ~pm)
        L = self.lab_buf
        lm = (L["key"] <= me) | final
        lab = _take(L, lm)
        self.lab_buf = _take(L, ~lm)

        # document numbers in date order, shared by a job's parts and labour
        inv = lab["doc"] >= 0
        docs = np.concatenate([parts["doc"], lab["doc"][inv]])
        ddate = np.concatenate([parts["date"], lab["edit"][inv]])
        u, first = np.unique(docs, return_index=True)
        order = np.lexsort((u, ddate[first]))
        number = np.empty(len(u), dtype=np.int64)
        number[order] = self.next_doc + np.arange(len(u))
        self.next_doc += len(u)
        parts["doc"] = number[np.searchsorted(u, parts["doc"])]
        lab["doc"] = np.where(inv, number[np.clip(np.searchsorted(u, lab["doc"]), 0, max(len(u) - 1, 0))]
                              if len(u) else -1, -1)

        o = np.lexsort((parts["seq"], parts["doc"], parts["date"]))
        parts = _take(parts, o)
        self.store.insert("parts_lines", {
            "document": parts["doc"], "doc_type": _cat(parts["doctype"], ["invoice", "credit"]),
            "date_edit": parts["date"].astype(np.int32), "account": _cat(parts["acc"], self.acc_codes),
            "wip_no": parts["wip"], "department": _cat(parts["dept"], list(DEPARTMENTS)),
            "sale_type": _cat(parts["st"], _ST), "operator": _cat(parts["op"], self.op_codes),
            "part_no": _cat(parts["part"], self.part_cats), "quantity": parts["q"],
            "retail_price": parts["retail"], "selling_price": parts["sp"], "discount": parts["disc"],
            "cost_price": parts["cost"], "menu_normal_value": parts["mn"], "menu_fixed_value": parts["mf"],
            "first_pick": parts["fp"], "vor_loss": parts["vor"],
            "branch": _cat(parts["br"], self.branch_codes), "pay_type": _cat(parts["pt"], _PAY),
        }, {"document": ("", self.doc_width), "wip_no": ("", self.wip_width)})

        edit_sort = np.where(lab["edit"] == _NA_DAY, _BIG_DAY, lab["edit"])
        o = np.lexsort((lab["tech"], lab["line_no"], lab["wip"], edit_sort))
        lab = _take(lab, o)
        self.store.insert("labour_lines", {
            "wip_no": lab["wip"], "line_no": lab["line_no"], "document": lab["doc"],
            "doc_type": _cat(lab["doctype"], ["invoice", "credit"]),
            "date_created": lab["created"].astype(np.int32), "date_edit": lab["edit"].astype(np.int32),
            "account": _cat(lab["acc"], self.acc_codes), "department": _cat(lab["dept"], list(DEPARTMENTS)),
            "labour_type": _cat(lab["lt"], _LT), "wip_owner": _cat(lab["owner"], self.op_codes),
            "technician": _cat(lab["tech"], self.tech_codes), "allowed_time": lab["allowed"],
            "time_taken": lab["taken"], "minutes_per_unit": lab["mpu"], "labour_rate": lab["rate"],
            "contribution": lab["contrib"], "cost_per_hour": lab["cph"], "flat_rate": lab["flat"],
            "discount": lab["disc"], "menu_normal_value": lab["mn"], "menu_fixed_value": lab["mf"],
            "branch": _cat(lab["br"], self.branch_codes), "pay_type": _cat(lab["pt"], _PAY),
        }, {"wip_no": ("", self.wip_width), "document": ("", self.doc_width)})

        # sales and margin per account and month (for the targets)
        net = parts["q"] * parts["sp"] - parts["disc"]
        mon = np.searchsorted([m[0] for m in self.months], parts["date"], side="right") - 1
        np.add.at(self.acc_net, (parts["acc"], mon), net)
        np.add.at(self.acc_margin, (parts["acc"], mon), net - parts["q"] * parts["cost"])
        li = np.flatnonzero(lab["doc"] >= 0)
        gross = lab["allowed"][li] * lab["rate"][li] * lab["contrib"][li] / 100
        lnet = gross - lab["disc"][li]
        t = np.where(lab["flat"][li] == 1, lab["allowed"][li], lab["taken"][li])
        lcost = t * lab["cph"][li] * lab["mpu"][li] / 60 * lab["contrib"][li] / 100
        mon = np.searchsorted([m[0] for m in self.months], lab["edit"][li], side="right") - 1
        np.add.at(self.acc_net, (lab["acc"][li], mon), lnet)
        np.add.at(self.acc_margin, (lab["acc"][li], mon), lnet - lcost)
        self._tally(parts, lab, li, lnet, lcost)

        self._movements(parts, me)
