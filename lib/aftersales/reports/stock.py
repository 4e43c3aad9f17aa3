"""Stock health of the Fixed operations report (SPEC §6.5 "Stock"): pure functions over the
`parts_stock` relation (the stock file as it stands on `as_of`, already filtered to the scope).

Only rows with on_hand_qty > 0 count. A part's age is `as_of` − last_sale_date, or
`as_of` − last_receipt_date when it never sold (last_sale_date decides whenever it is set);
a part with neither date is in `m12_plus`. Values are on_hand_qty × unit_cost as exact decimals.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from aftersales.reports.formulas import exact, ratio, tidy
from aftersales.reports.grids import Grid, Lines, query, sql_date

#: The age buckets of the stock, in the CSV's order, with the days each holds.
BUCKETS = ("m0_3", "m3_6", "m6_9", "m9_12", "m12_plus")
BUCKET_LABELS = {"m0_3": "0–3 months (≤ 90 days)", "m3_6": "3–6 months (91–180)",
                 "m6_9": "6–9 months (181–270)", "m9_12": "9–12 months (271–365)",
                 "m12_plus": "over 12 months (> 365, or never sold nor received)"}
#: The CSV columns of tables/operations/stock_ageing.csv, after the key `bucket`.
COLUMNS = ("parts", "value", "value_pct")
#: Days since the last sale (or receipt) beyond which a part is obsolete (no sale in 12 months).
OBSOLETE_DAYS = 365

_VALUE = exact("on_hand_qty * unit_cost")
_COUNTED = "on_hand_qty > 0"


def _age(as_of: dt.date) -> str:
    """A part's age in days at `as_of` (NULL when both dates are empty)."""
    return (f"({sql_date(as_of)} - CAST(COALESCE(last_sale_date, last_receipt_date) AS DATE))")


def _bucket(age: str) -> str:
    return (f"CASE WHEN {age} IS NULL OR {age} > {OBSOLETE_DAYS} THEN 'm12_plus' "
            f"WHEN {age} <= 90 THEN 'm0_3' WHEN {age} <= 180 THEN 'm3_6' "
            f"WHEN {age} <= 270 THEN 'm6_9' ELSE 'm9_12' END")


def _aged(as_of: dt.date) -> str:
    """The counted stock rows with their value, age in days and bucket."""
    age = _age(as_of)
    return (f"SELECT *, ({_VALUE}) AS value, {age} AS age_days, {_bucket(age)} AS bucket "
            f"FROM lines WHERE {_COUNTED}")


def stock_ageing(stock: Lines, as_of: dt.date) -> Grid:
    """Parts (rows) and stock value per age bucket, with each bucket's share of the stock value.

    Five rows always, in the order of BUCKETS; value_pct is empty when the stock value is 0.
    The totals row holds the number of parts, the stock value and 100 (or empty).
    """
    frame = query(stock, f"SELECT bucket, COUNT(*) AS parts, SUM(value) AS value "
                         f"FROM ({_aged(as_of)}) AS aged GROUP BY bucket")
    frame = frame.set_index("bucket").reindex(list(BUCKETS))
    rows = pd.DataFrame({
        "bucket": list(BUCKETS),
        "parts": frame["parts"].fillna(0).astype("int64").to_numpy(),
        "value": frame["value"].astype("float64").fillna(0.0).to_numpy(),
    })
    rows = tidy(rows, ["value"])
    total = tidy(pd.DataFrame([{"parts": int(rows["parts"].sum()), "value": float(rows["value"].sum())}]),
                 ["value"])
    rows["value_pct"] = ratio(rows["value"], pd.Series([total["value"].iloc[0]] * len(rows)))
    total["value_pct"] = ratio(total["value"], total["value"])
    return Grid("stock_ageing", rows[["bucket", *COLUMNS]], total[list(COLUMNS)], ("bucket",))


def stock_value(ageing: Grid) -> float:
    """Σ on_hand_qty × unit_cost over the rows with on_hand_qty > 0 (the ageing grid's total)."""
    return float(ageing.total["value"].iloc[0])


def obsolescence_pct(ageing: Grid) -> float:
    """The `m12_plus` value ÷ the stock value × 100; empty when the stock value is 0."""
    old = float(ageing.rows.loc[ageing.rows["bucket"] == "m12_plus", "value"].iloc[0])
    return ratio(old, stock_value(ageing))


def obsolete_parts(stock: Lines, as_of: dt.date, top: int = 20) -> pd.DataFrame:
    """The `top` most valuable parts with no sale in 12 months (age > 365 days by the ageing rule,
    or both dates empty), value descending (ties by part and branch).

    Columns: branch (when the stock has one), part_no, on_hand_qty, unit_cost, value,
    last_sale_date, last_receipt_date, age_days (empty when both dates are empty).
    `attrs["rows"]` holds how many such parts there are in all.
    """
    has_branch = "branch" in _columns(stock)
    keys = "branch, part_no" if has_branch else "part_no"
    listed = (f"SELECT {keys}, on_hand_qty, unit_cost, value, CAST(last_sale_date AS DATE) AS last_sale_date, "
              f"CAST(last_receipt_date AS DATE) AS last_receipt_date, age_days "
              f"FROM ({_aged(as_of)}) AS aged WHERE bucket = 'm12_plus'")
    frame = query(stock, f"SELECT *, COUNT(*) OVER () AS all_rows FROM ({listed}) AS old "
                         f"ORDER BY value DESC, part_no{', branch' if has_branch else ''} LIMIT {int(top)}")
    rows = int(frame["all_rows"].iloc[0]) if len(frame) else 0
    frame = frame.drop(columns="all_rows")
    for col in ("on_hand_qty", "unit_cost", "value"):
        frame[col] = frame[col].astype("float64")
    frame["age_days"] = frame["age_days"].astype("Int64")
    frame = tidy(frame, ["value"]).reset_index(drop=True)
    frame.attrs["rows"] = rows
    return frame


def non_positive_stock(stock: Lines) -> int:
    """Rows with on_hand_qty ≤ 0: they count nowhere (the data-quality section lists the number)."""
    return int(query(stock, "SELECT COUNT(*) AS n FROM lines WHERE on_hand_qty <= 0")["n"].iloc[0])


def _columns(lines: Lines) -> set[str]:
    return {str(c).lower() for c in lines.columns}
