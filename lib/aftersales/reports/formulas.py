"""Every line formula of SPEC §3, written once, and the safe ratio shared by all grids.

Line values are SQL expressions over the contract's typed columns: the same text runs in
DuckDB (files) and in a database server, so each formula has one definition.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

#: What an account's sales, margin and gross sum: the line value each comes from.
ACCOUNT_SUMS = {"sales": "net", "margin": "profit", "gross": "gross"}

#: A labour line counts as a sale once invoiced (SPEC §3 "Labour"): a document number that is not empty.
INVOICED = "COALESCE(document, '') <> ''"

#: The money columns of a sales grid, in the SPEC's order.
SALES_MEASURES = ("gross", "discount", "net", "cost", "profit", "variance")

def exact(expr: str) -> str:
    """A line value as an exact decimal: its sums are then the same whatever order the engine
    adds the lines in (parallel sums of floats differ in their last bits from run to run)."""
    return f"CAST(({expr}) AS DECIMAL(38, 10))"


#: Parts line values (SPEC §3 "Parts"), as floating-point SQL (`PARTS_LINE`: as exact decimals).
PARTS_VALUES: Mapping[str, str] = {
    "gross": "quantity * retail_price",
    "discount": "discount",
    "net": "quantity * selling_price - discount",
    "cost": "quantity * cost_price",
    "profit": "(quantity * selling_price - discount) - quantity * cost_price",
    "variance": "COALESCE(menu_normal_value, 0) - COALESCE(menu_fixed_value, 0)",
}
PARTS_LINE = {name: exact(expr) for name, expr in PARTS_VALUES.items()}

_LABOUR_GROSS = "allowed_time * labour_rate * contribution / 100"
_LABOUR_NET = f"({_LABOUR_GROSS}) - discount"
_LABOUR_COST = (
    "(CASE WHEN flat_rate THEN allowed_time ELSE time_taken END)"
    " * cost_per_hour * (minutes_per_unit / 60) * (contribution / 100)"
)

#: Labour line values (SPEC §3 "Labour"), as floating-point SQL (`LABOUR_LINE`: as exact decimals).
#: Variance has the opposite sign of parts.
LABOUR_VALUES: Mapping[str, str] = {
    "gross": _LABOUR_GROSS,
    "discount": "discount",
    "net": _LABOUR_NET,
    "cost": _LABOUR_COST,
    "profit": f"({_LABOUR_NET}) - ({_LABOUR_COST})",
    "variance": "COALESCE(menu_fixed_value, 0) - COALESCE(menu_normal_value, 0)",
}
LABOUR_LINE = {name: exact(expr) for name, expr in LABOUR_VALUES.items()}

#: Hours of a labour line's time units, credited by its contribution (SPEC §3 "Workshop").
ALLOWED_HOURS = exact("allowed_time * minutes_per_unit / 60 * contribution / 100")
TAKEN_HOURS = exact("time_taken * minutes_per_unit / 60 * contribution / 100")

#: Decimals money and hours are rounded to once summed: removes float noise (1e-13)
#: so that a credit mirroring an invoice sums to exactly zero.
SUM_DECIMALS = 6


def floating(values: Mapping[str, str]) -> dict[str, str]:
    """Line values as floating-point SQL (DOUBLE): for sums over years of lines that are rounded
    to SUM_DECIMALS, where an exact decimal per line costs a third more work."""
    return {name: f"CAST(({expr}) AS DOUBLE)" for name, expr in values.items()}


def select_list(values: Mapping[str, str]) -> str:
    """`expr AS name, …` for a SELECT."""
    return ", ".join(f"({expr}) AS {name}" for name, expr in values.items())


def ratio(numerator, denominator, scale: float = 100.0):
    """numerator / denominator × scale; empty (NaN) wherever the denominator is zero or empty."""
    if isinstance(numerator, pd.Series) or isinstance(denominator, pd.Series):
        num = pd.to_numeric(pd.Series(numerator), errors="coerce").astype("float64")
        den = pd.to_numeric(pd.Series(denominator), errors="coerce").astype("float64")
        den = den.where(den != 0)
        return (num / den * scale).astype("float64")
    if denominator is None or numerator is None:
        return math.nan
    if pd.isna(denominator) or pd.isna(numerator) or denominator == 0:
        return math.nan
    return float(numerator) / float(denominator) * scale


def tidy(frame: pd.DataFrame, columns=None) -> pd.DataFrame:
    """Round summed money/hours to SUM_DECIMALS and turn -0.0 into 0.0."""
    out = frame.copy()
    cols = columns if columns is not None else out.select_dtypes("number").columns
    for col in cols:
        if col in out and pd.api.types.is_float_dtype(out[col]):
            out[col] = np.round(out[col].astype("float64"), SUM_DECIMALS) + 0.0
    return out
