"""The demo's plans per branch (SPEC §6.1): monthly budgets of the five measures, and monthly overheads.

History tallies what each branch does per month (``_tally``: parts Net and Profit by date_edit, invoiced
labour Net and Profit, and hours sold as line hours of invoiced labour lines); the plans are set from it.

* ``budgets``: every branch × every month of the history and of as_of's year × every measure, planned as
  a budgeter would: the level per working day (Monday to Friday) of the year before, seasonally adjusted,
  times the month's working days and season, plus the branch's planned growth (2–8 %), give or take 4 %
  (the first year of the history: the level of that same year, no growth). The current month is
  budgeted, from its third working day on, from the month projected at its pace so far times a factor
  per measure that the branch's position rotates (``_PACE``): some measures are ahead and some behind.
  In branch 01: parts ahead, labour behind, hours sold about on budget. Money is budgeted to the
  nearest 10, hours to the hour. There are no group-level rows (empty branch): a group budget with no
  lines of its own would only make the group look behind its branches.
* ``overheads``: every branch × every month of the history (the current month in full): a fixed expense,
  the branch's average monthly gross profit over the last twelve complete months divided by its absorption
  level (86 % for a single dealer, 62–108 % across a group), growing 3 % a year, give or take 2 %.
"""

from __future__ import annotations

import numpy as np

from aftersales.source.contract import BUDGET_MEASURES
from aftersales.source.demo.arrays import _add_months, _cat, _dn, _r2
from aftersales.source.demo.base import _Base

#: Budget ÷ month at the current pace, per measure in BUDGET_MEASURES order (rotated by branch):
#: below 1 the branch is ahead of its budget, above 1 behind.
_PACE = np.array([0.93, 0.96, 1.04, 1.08, 1.0])
_HOURS = BUDGET_MEASURES.index("hours_sold")


class _Plans(_Base):
    """Tallies each branch's months during the history (``actual``), then writes budgets and overheads."""

    def _tally(self, parts: dict, lab: dict, li: np.ndarray, lnet: np.ndarray, lcost: np.ndarray) -> None:
        """Add a flushed month's parts lines and invoiced labour lines (rows li) to ``actual``."""
        nb, nm, k = self.NB, self.M, len(BUDGET_MEASURES)
        if self.actual is None:
            self.actual = np.zeros((nb, nm, k))
        starts = [m[0] for m in self.months]
        net = parts["q"] * parts["sp"] - parts["disc"]
        profit = net - parts["q"] * parts["cost"]
        cell = parts["br"].astype(np.int64) * nm + np.searchsorted(starts, parts["date"], side="right") - 1
        lcell = lab["br"][li].astype(np.int64) * nm + np.searchsorted(starts, lab["edit"][li], side="right") - 1
        hours = lab["allowed"][li] * lab["mpu"][li] / 60 * lab["contrib"][li] / 100
        for m, (where, values) in enumerate([(cell, net), (cell, profit), (lcell, lnet), (lcell, lnet - lcost),
                                             (lcell, hours)]):
            self.actual[:, :, m] += np.bincount(where, weights=values, minlength=nb * nm).reshape(nb, nm)

    def _working_days(self, first: int, last: int) -> int:
        """Monday-to-Friday days from first to last, both included (day numbers)."""
        d = np.arange(first, last + 1)
        return int(((d + 3) % 7 < 5).sum())

    def budgets(self) -> None:
        """Write the budgets table (see the module's docstring)."""
        rng = self.rng
        A = self.actual
        nb, nm, k = A.shape
        later = 12 - self.as_of.month  # the months of as_of's year after its month
        nt = nm + later
        firsts = [_add_months(self.as_of.replace(day=1), j - (nm - 1)) for j in range(nt + 1)]
        days = np.array([self._working_days(_dn(firsts[j]), _dn(firsts[j + 1]) - 1) for j in range(nt)])
        season = np.array([1 + 0.06 * np.sin(2 * np.pi * (firsts[j].month - 4) / 12) for j in range(nt)])
        # the level per working day of the year before (the first year: of that year), complete months only
        B = np.zeros((nb, nt, k))
        for j in range(nt):
            lo = min(max(j - 12, 0), nm - 13)
            hi = lo + 12
            per_day = A[:, lo:hi].sum(axis=1) / (days[lo:hi] * season[lo:hi]).sum()
            B[:, j] = per_day * days[j] * season[j]
        growth = np.where(np.arange(nt) >= 12, 1.0, 0.0)[None, :, None] * rng.uniform(0.02, 0.08, (nb, 1, k))
        B = B * (1 + growth) * rng.lognormal(0.0, 0.04, (nb, nt, k))
        # the current month: from its pace so far, ahead on some measures and behind on others
        ms = self.months[-1][0]
        elapsed = self._working_days(ms, self.a)
        if elapsed >= 3:  # before that the pace says little, and the plan from the year before stands
            paced = A[:, -1] / elapsed * days[nm - 1]
            turn = (np.arange(k)[None, :] + np.arange(nb)[:, None]) % k
            B[:, nm - 1] = paced * _PACE[turn] * rng.uniform(0.985, 1.015, (nb, k))
        B = np.where(np.arange(k) == _HOURS, np.round(B), np.round(B, -1)) + 0.0
        months = [f"{d.year:04d}-{d.month:02d}" for d in firsts[:nt]]
        b, m, x = (a.ravel() for a in np.meshgrid(np.arange(nb), np.arange(nt), np.arange(k), indexing="ij"))
        self.store.insert("budgets", {
            "branch": _cat(b, self.branch_codes), "month": _cat(m, months),
            "measure": _cat(x, list(BUDGET_MEASURES)), "value": B.ravel(),
        })

    def overheads(self) -> None:
        """Write the overheads table (see the module's docstring)."""
        rng = self.rng
        A = self.actual
        nb, nm, _ = A.shape
        gp = A[:, nm - 13:nm - 1, BUDGET_MEASURES.index("parts_profit")] \
            + A[:, nm - 13:nm - 1, BUDGET_MEASURES.index("labour_profit")]
        level = np.full(nb, 0.86) if nb == 1 else rng.uniform(0.62, 1.08, nb)
        base = np.maximum(gp.mean(axis=1), 1000.0) / level
        drift = 1 + 0.03 * (np.arange(nm) - (nm - 1)) / 12
        amount = _r2(base[:, None] * drift[None, :] * rng.uniform(0.98, 1.02, (nb, nm)))
        b, m = (a.ravel() for a in np.meshgrid(np.arange(nb), np.arange(nm), indexing="ij"))
        self.store.insert("overheads", {
            "branch": _cat(b, self.branch_codes), "month": _cat(m, [x[2] for x in self.months]),
            "amount": amount.ravel(),
        })
