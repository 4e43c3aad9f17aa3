"""The demo dealer group (SPEC §6.1): its branches, who works in which, and the code descriptions.

A demo of N branches splits the same total volume over N branches of different sizes. Branch codes look
like numbers and keep their leading zeros ("01" … "30"). Each branch has its own POS operators (the twelve
roles of ``names.OPERATORS``), technicians and jobs; accounts, reps, targets and the CRM are shared.
Only branches with enough bodywork for a full-time panel beater have a bodyshop (the largest always has
one): bodyshop jobs go to those. For data quality, with N ≥ 3 the last branch trades but is missing from
the ``branches`` table, and with N ≥ 4 the branch before it has no region. One branch name carries markup
characters (pages must escape it).
"""

from __future__ import annotations

import numpy as np

from aftersales.source.demo.arrays import _cat
from aftersales.source.demo.base import _B_JOBS_PER_DAY, _Base
from aftersales.source.demo.names import (
    _BRANCH_TOWNS,
    _IDLE,
    _OPS,
    _OPS_PER_BRANCH,
    _PAY,
    BRANCH_MARKUP_NAME,
    DEPARTMENTS,
    IDLE_CODES,
    LABOUR_TYPES,
    PAY_TYPES,
    REASONS,
    SALE_TYPES,
)

#: The most branches a demo may have (codes stay three digits at most).
MAX_BRANCHES = 999


def branch_codes(n: int) -> list[str]:
    """The codes of a group of n branches: "01", "02", … (three digits past 99)."""
    width = max(2, len(str(n)))
    return [f"{k + 1:0{width}d}" for k in range(n)]


def missing_branch(n: int) -> int | None:
    """The index of the branch that trades but is left out of the branches table (N ≥ 3), else None."""
    return n - 1 if n >= 3 else None


class _Groups(_Base):
    """The branches (``branch_*``: codes, size shares, labour-rate levels) and the operators of each
    (``op_codes``: branch b's operator of role j is ``b * _OPS_PER_BRANCH + j``)."""

    def _make_branches(self) -> None:
        rng = self.rng
        n = self.NB
        self.branch_codes = branch_codes(n)
        if n == 1:
            self.branch_p = np.ones(1)
            self.branch_rate = np.ones(1)
        else:  # branches of different sizes (largest about three times the smallest) and price levels
            size = np.clip(rng.lognormal(0.0, 0.4, n), 0.5, 2.0)
            self.branch_p = size / size.sum()
            self.branch_rate = np.round(rng.uniform(0.94, 1.07, n), 3)
        body = self.branch_p * _B_JOBS_PER_DAY * self.f >= 0.6  # about six hours of bodywork a day
        body[np.argmax(self.branch_p)] = True
        self.body_p = self.branch_p * body / (self.branch_p * body).sum()
        # operators: branch 01 keeps the reference codes, the others get initials of their own
        codes = list(_OPS)
        taken = set(codes)
        while len(codes) < n * _OPS_PER_BRANCH:
            letters = rng.integers(0, 26, (n * _OPS_PER_BRANCH, 3))
            for row in letters:
                code = "".join(chr(65 + int(c)) for c in row)
                if code not in taken and len(codes) < n * _OPS_PER_BRANCH:
                    taken.add(code)
                    codes.append(code)
        self.op_codes = codes

    def _branch_of(self, n: int, bodyshop: bool = False) -> np.ndarray:
        """The branch of n new documents or jobs (bodyshop jobs: of a branch with a bodyshop), drawn by size."""
        if self.NB == 1:
            return np.zeros(n, dtype=np.int64)
        return self.rng.choice(self.NB, n, p=self.body_p if bodyshop else self.branch_p).astype(np.int64)

    def branches_table(self) -> None:
        """The branches table: code, a town's name, a region (one branch left out with N ≥ 3)."""
        n = self.NB
        names, regions = [], []
        for k in range(n):
            town, region = _BRANCH_TOWNS[k % len(_BRANCH_TOWNS)]
            if k >= len(_BRANCH_TOWNS):
                town = f"{town} {k // len(_BRANCH_TOWNS) + 1}"
            names.append(town)
            regions.append(region)
        names[min(1, n - 1)] = BRANCH_MARKUP_NAME
        if n >= 4:
            regions[n - 2] = None
        keep = [k for k in range(n) if k != missing_branch(n)]
        self.store.insert("branches", {
            "branch": np.array([self.branch_codes[k] for k in keep], dtype=object),
            "name": np.array([names[k] for k in keep], dtype=object),
            "region": np.array([regions[k] for k in keep], dtype=object),
        })

    def codes_table(self) -> None:
        """Descriptions of every department, sale type, labour type, idle code, reason and pay type used."""
        rows = ([("department", c, d) for c, d in DEPARTMENTS.items()]
                + [("sale_type", c, d) for c, d in SALE_TYPES.items()]
                + [("labour_type", c, v[0]) for c, v in LABOUR_TYPES.items()]
                + [("idle_code", c, IDLE_CODES[c][0]) for c in _IDLE]
                + [("reason", c, d) for c, d in REASONS.items()]
                + [("pay_type", c, PAY_TYPES[c]) for c in _PAY])
        kinds = ["department", "sale_type", "labour_type", "idle_code", "reason", "pay_type"]
        self.store.insert("codes", {
            "kind": _cat([kinds.index(r[0]) for r in rows], kinds),
            "code": np.array([r[1] for r in rows], dtype=object),
            "description": np.array([r[2] for r in rows], dtype=object),
        })
