"""Small numpy helpers of the demo generator, and the values it stages for "no date" and "no technician yet".

Day columns are staged as int32 days since 1970-01-01, ``_NA_DAY`` when empty (see ``store._expr``).
"""

from __future__ import annotations

import datetime
import unicodedata

import numpy as np
import pandas as pd

_EPOCH = datetime.date(1970, 1, 1)
_NA_DAY = -1_000_000  # "no date" in the int32 day columns staged into DuckDB
_UNASSIGNED = -2  # technician not chosen yet (work day not reached)
_BIG_DAY = 10**8


def _dn(d: datetime.date) -> int:
    return (d - _EPOCH).days


def _add_months(d: datetime.date, k: int) -> datetime.date:
    y, m = divmod(d.month - 1 + k, 12)
    return datetime.date(d.year + y, m + 1, 1)


def _r2(x):
    """Round money to cents, never leaving a negative zero."""
    return np.round(x, 2) + 0.0


def _dimes(x, up: bool = False):
    """Round to multiples of 0.10 (up: never below x): the price of a fluid sold by the tenth of a litre."""
    tenths = np.round(np.asarray(x, dtype=float) * 10, 6)
    return (np.ceil(tenths) if up else np.round(tenths)) / 10 + 0.0


def _whole_cents_rate(rate, units, contribution):
    """The labour rates (whole cents), each nudged to a multiple of 0.20 where its line's gross
    units × rate × contribution / 100 would not be whole cents (units hold at most one decimal)."""
    a = np.round(np.asarray(units) * 10).astype(np.int64)
    r = np.round(np.asarray(rate) * 100).astype(np.int64)
    ok = (np.abs(a * r) * np.asarray(contribution).astype(np.int64)) % 1000 == 0
    return np.where(ok, rate, np.round(np.asarray(rate) * 5) / 5 + 0.0)


def _neg(x):
    return 0.0 - x


def _within(counts: np.ndarray) -> np.ndarray:
    """0, 1, …, n-1 for each group of the given sizes, concatenated."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)


def _group_excl_cumsum(values: np.ndarray, new_group: np.ndarray) -> np.ndarray:
    """Exclusive running sum of values within consecutive groups."""
    cs = np.cumsum(values)
    excl = cs - values
    gid = np.cumsum(new_group) - 1
    first = np.flatnonzero(new_group)
    return excl - excl[first][gid]


def _cat(codes: np.ndarray, categories) -> pd.Categorical:
    return pd.Categorical.from_codes(
        np.asarray(codes, dtype=np.int32), categories=pd.Index(list(categories), dtype=object)
    )


def _concat(a: dict | None, b: dict) -> dict:
    if a is None:
        return b
    return {k: np.concatenate([a[k], b[k]]) for k in a}


def _take(a: dict, idx) -> dict:
    return {k: v[idx] for k, v in a.items()}


def _ascii(text: str) -> str:
    out = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in out.lower() if c.isalnum())
