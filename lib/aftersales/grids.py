"""The grid shape shared by every report: data rows, a totals row, and the sales grid.

A grid function takes relations (or frames) and a period and returns a `Grid`; it never
reads files or parameters. Totals are recomputed from sums, never averaged from rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from .formulas import SALES_MEASURES, ratio, select_list, tidy

Lines = duckdb.DuckDBPyRelation | pd.DataFrame


@dataclass
class Grid:
    """A report grid: `rows` are the data rows (what the CSV holds), `total` the totals row."""

    name: str
    rows: pd.DataFrame
    total: pd.DataFrame | None = None
    key: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.rows.empty


def relation(lines: Lines) -> duckdb.DuckDBPyRelation:
    """A DuckDB relation over `lines` (frames are queried in place, not copied)."""
    if isinstance(lines, pd.DataFrame):
        return duckdb.from_df(lines)
    return lines


def query(lines: Lines, sql: str) -> pd.DataFrame:
    """Run `sql` in which the table `lines` stands for the given relation or frame."""
    return relation(lines).query("lines", sql).df()


def sql_date(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def in_period(column: str, start: dt.date, last: dt.date) -> str:
    """SQL condition: `column` between two days, both included."""
    return f"{column} BETWEEN {sql_date(start)} AND {sql_date(last)}"


SALES_COLUMNS = ("documents", "invoices", "credits", *SALES_MEASURES, "gp_pct")


def _sales_select(values: Mapping[str, str]) -> tuple[str, str]:
    inner = f"SELECT *, {select_list(values)} FROM lines"
    sums = ", ".join(f"SUM({m}) AS {m}" for m in SALES_MEASURES)
    outer = (
        "COUNT(DISTINCT document) AS documents, "
        "COUNT(DISTINCT CASE WHEN doc_type = 'invoice' THEN document END) AS invoices, "
        "COUNT(DISTINCT CASE WHEN doc_type = 'credit' THEN document END) AS credits, "
        f"{sums}"
    )
    return inner, outer


def _finish_sales(frame: pd.DataFrame) -> pd.DataFrame:
    for col in ("documents", "invoices", "credits"):
        frame[col] = frame[col].fillna(0).astype("int64")
    for col in SALES_MEASURES:
        frame[col] = frame[col].astype("float64").fillna(0.0)
    frame = tidy(frame, SALES_MEASURES)
    frame["gp_pct"] = ratio(frame["profit"], frame["gross"])
    return frame


def sales_grid(
    lines: Lines, values: Mapping[str, str], key: str, column: str | None = None, name: str = ""
) -> Grid:
    """Documents, invoices, credits, the money measures and GP% per value of `key`.

    `values` is the line formula set (PARTS_LINE or LABOUR_LINE); `column` names the key
    in the output (e.g. `date` for `date_edit`). One row per key value present, sorted.
    """
    column = column or key
    inner, outer = _sales_select(values)
    rows = query(
        lines,
        f"SELECT {key} AS {column}, {outer} FROM ({inner}) "
        f"GROUP BY {key} ORDER BY {key} NULLS LAST",
    )
    total = query(lines, f"SELECT {outer} FROM ({inner})")
    rows = _finish_sales(rows)[[column, *SALES_COLUMNS]]
    total = _finish_sales(total)[list(SALES_COLUMNS)]
    return Grid(name or column, rows.reset_index(drop=True), total, (column,))


def document_grid(lines: Lines, values: Mapping[str, str], accounts: Lines | None) -> pd.DataFrame:
    """One row per document (the source's invoices form): what it sold, its profit and GP%."""
    inner, _ = _sales_select(values)
    sums = ", ".join(f"SUM({m}) AS {m}" for m in SALES_MEASURES)
    frame = query(
        lines,
        f"SELECT document, doc_type, MIN(date_edit) AS date, MIN(account) AS account, "
        f"MIN(wip_no) AS wip_no, COUNT(*) AS lines, {sums} FROM ({inner}) "
        "GROUP BY document, doc_type ORDER BY date, document",
    )
    frame = tidy(frame, SALES_MEASURES)
    frame["gp_pct"] = ratio(frame["profit"], frame["gross"])
    names = account_names(accounts)
    frame.insert(4, "name", frame["account"].map(names))
    return frame


def account_names(accounts: Lines | None) -> dict[str, str]:
    if accounts is None:
        return {}
    frame = query(accounts, "SELECT account, name FROM lines")
    return dict(zip(frame["account"], frame["name"]))


def sum_total(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A totals row that sums `columns` of `rows` (other columns are left to the caller)."""
    return pd.DataFrame([{c: rows[c].sum() if len(rows) else 0.0 for c in columns}])


def without_account(lines: Lines, accounts: Lines | None) -> duckdb.DuckDBPyRelation:
    """The lines whose account is missing from `accounts` (all of them when there is no table)."""
    rel = relation(lines)
    if accounts is None:
        return rel
    known = relation(accounts).project("account AS known_account")
    return rel.join(known, "account = known_account", how="anti")


def sales_headline(total: pd.DataFrame, prior_total: pd.DataFrame) -> dict:
    """Net, profit, GP% and documents of a sales grid's totals row, against the prior-year period's."""
    now, before = total.iloc[0], prior_total.iloc[0]
    return {
        "net": float(now["net"]),
        "profit": float(now["profit"]),
        "gross": float(now["gross"]),
        "gp_pct": ratio(now["profit"], now["gross"]),
        "net_prior": float(before["net"]),
        "gp_pct_prior": ratio(before["profit"], before["gross"]),
        "net_growth_pct": ratio(now["net"] - before["net"], abs(before["net"])),
        "documents": int(now["documents"]),
        "invoices": int(now["invoices"]),
        "credits": int(now["credits"]),
    }
