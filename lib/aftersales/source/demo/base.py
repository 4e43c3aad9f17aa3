"""The demo generator's shared state: the scales, the volumes, the months and trading days, the running ids.

``_Base`` holds what every table family uses; each family (accounts, parts, labour, clockings, history,
stock, crm) is a mixin over it, and ``build._Demo`` puts them together.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Callable

import numpy as np

from aftersales.source.demo.arrays import _add_months, _dn
from aftersales.source.demo.store import _Store

SCALES = ("small", "medium", "large")
FORMATS = ("parquet", "csv")
#: Full months of history before as_of's month (which is included up to as_of).
HISTORY_MONTHS = 25


@dataclass(frozen=True)
class _Scale:
    factor: float  # volume of lines, jobs, clockings, CRM, orders relative to small
    accounts: int
    parts: int  # parts catalogue size
    reps: int


_SCALES = {
    "small": _Scale(1.0, 300, 2500, 8),
    "medium": _Scale(34.0, 3000, 15000, 20),
    "large": _Scale(365.0, 20000, 50000, 60),
}

# Volumes at factor 1 (small), per open day.
_COUNTER_DOCS_PER_DAY = 9.5
_W_JOBS_PER_DAY = 11.0
_B_JOBS_PER_DAY = 2.0
_P_CREDIT = 0.052  # credit notes ≈ 5 % of all documents
_LEADS_PER_MONTH = 30
_OPPS_PER_MONTH = 14
_ACTIVITIES_PER_MONTH = 140
_ISSUES_PER_MONTH = 6
_PO_LINES = 350
_TECH_LOAD_HOURS = 5.9  # clocked job hours per technician-day at capacity 1


class _Base:
    """The generator's shared state; the table families are mixins over it (see build._Demo)."""

    def __init__(self, store: _Store, as_of: datetime.date, seed: int, scale: str,
                 progress: Callable[[str], None], branches: int = 1):
        self.store = store
        self.NB = branches
        self.progress = progress
        self.sc = _SCALES[scale]
        self.f = self.sc.factor
        self.rng = np.random.default_rng(seed)
        self.as_of = as_of
        self.a = _dn(as_of)
        start = _add_months(as_of.replace(day=1), -HISTORY_MONTHS)
        self.d0 = _dn(start)
        self.months = []  # (first day, last day ≤ as_of, "YYYY-MM")
        for i in range(HISTORY_MONTHS + 1):
            ms = _add_months(start, i)
            me = min(_add_months(start, i + 1) - datetime.timedelta(days=1), as_of)
            self.months.append((_dn(ms), _dn(me), f"{ms.year:04d}-{ms.month:02d}"))
        self.M = len(self.months)

        days = np.arange(self.d0, self.a + 240, dtype=np.int64)
        dt = days.astype("datetime64[D]")
        mon = dt.astype("datetime64[M]")
        month_no = mon.astype(np.int64) % 12 + 1
        dom = (dt - mon.astype("datetime64[D]")).astype(np.int64) + 1
        wd = (days + 3) % 7  # Monday = 0
        hol = ((month_no == 12) & ((dom == 25) | (dom == 26))) | ((month_no == 1) & (dom == 1))
        counter_open = (wd < 6) & ~hol
        ws_open = (wd < 5) & ~hol
        counter_open[days == self.a] = True  # as_of is always a trading day
        ws_open[days == self.a] = True
        self.days = days
        self.wd = wd
        self.month_no = month_no
        self.cdays = days[counter_open]
        self.bdays = days[ws_open]

        self.next_id = 1  # temporary document / row ids
        self.next_doc = 41_000  # document numbers, in date order
        self.next_wip = 1_000
        self.doc_width = 8
        self.wip_width = 7

        self.parts_buf = None
        self.lab_buf = None
        self.req_buf = None
        self.rec_buf = None
        self.techs = None
        self.presence = None
        self.acc_net = None
        self.acc_margin = None
        self.branch_codes: list[str] = []
        self.op_codes: list[str] = []
        self.actual = None  # per branch, month and budget measure (plans.MEASURES), tallied by history
        self.last_sale = None  # per branch × part (stock._follow_stock)
        self.last_receipt = None
        self.demand = None

    # ---------------------------------------------------------------- ids
    def _ids(self, n: int) -> np.ndarray:
        out = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n
        return out

    def _season(self, d: np.ndarray) -> np.ndarray:
        m = self.month_no[d - self.d0]
        return (1 + 0.06 * np.sin(2 * np.pi * (m - 4) / 12)) * (1 + 0.05 * (d - self.d0) / 365.0)
