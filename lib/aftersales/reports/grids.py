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

from aftersales.reports.formulas import SALES_MEASURES, ratio, select_list, tidy

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


def capped(lines: Lines, sql: str, limit: int, rows: int | None = None) -> tuple[pd.DataFrame, int]:
    """The first `limit` rows of `sql` (a SELECT over `lines` ending with its ORDER BY) and how many
    rows it has in all: only those rows travel, the count runs in SQL (`rows` when already known).

    A list longer than `limit` has `attrs["rows"]` set to its full count.
    """
    limit = int(limit)
    frame = query(lines, f"{sql} LIMIT {limit if rows is not None else limit + 1}")
    if rows is None:
        if len(frame) <= limit:
            rows = len(frame)
        else:
            rows = int(query(lines, f"SELECT COUNT(*) AS n FROM ({sql}) AS listed")["n"].iloc[0])
            frame = frame.head(limit)
    frame.attrs["rows"] = int(rows)
    return frame, int(rows)


def top_rows(rows: pd.DataFrame, by: str, key: str, top: int, words: str) -> tuple[pd.DataFrame, str]:
    """The rows a chart draws and the words its title adds: every row when there are `top` or
    fewer; else the `top` of the highest `by` (ties by `key`), in their order in `rows`, and
    " (the <top> <words>, of <all>)". Sixty bars are neither readable nor cheap to draw: the
    grid beside the chart lists every row."""
    rows = rows.reset_index(drop=True)
    if len(rows) <= top:
        return rows, ""
    ranked = rows.assign(_rank=-rows[by].astype("float64").round(6)).sort_values(["_rank", key], kind="stable")
    chosen = rows.loc[sorted(ranked.head(top).index)]
    return chosen.reset_index(drop=True), f" (the {top} {words}, of {len(rows):,})"


def joined(left: Lines, right: Lines, condition: str, how: str) -> duckdb.DuckDBPyRelation:
    """`left` joined with `right` in SQL (`how`: inner, left, semi, anti…) on `condition`.

    Both sides are normally relations of one connection (a source's tables); a frame or a
    relation of another connection is joined in DuckDB's default connection instead.
    """
    left_rel, right_rel = relation(left), relation(right)
    try:
        return left_rel.join(right_rel, condition, how=how)
    except duckdb.InvalidInputException:  # two connections: bring both sides into one
        return duckdb.from_df(_frame(left)).join(duckdb.from_df(_frame(right)), condition, how=how)


def _frame(lines: Lines) -> pd.DataFrame:
    return lines if isinstance(lines, pd.DataFrame) else relation(lines).df()


def summed(lines: Lines, sql: str, order: str = "") -> pd.DataFrame:
    """Run `sql` — a GROUP BY in standard SQL over `lines`, without ORDER BY — then order by `order`.

    Where `lines` are a database table's rows (`rows.ServerRows`), the database computes
    it and only the sums travel; elsewhere DuckDB runs it as one query.
    """
    order_by = f" ORDER BY {order}" if order else ""
    pushdown = getattr(type(lines), "pushdown", None)
    result = pushdown(lines, sql) if pushdown is not None else None
    if result is None:
        return query(lines, sql + order_by)
    return query(result, "SELECT * FROM lines" + order_by)


def sql_date(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def in_period(column: str, start: dt.date, last: dt.date) -> str:
    """SQL condition: `column` between two days, both included."""
    return f"{column} BETWEEN {sql_date(start)} AND {sql_date(last)}"


SALES_COLUMNS = ("documents", "invoices", "credits", *SALES_MEASURES, "gp_pct")


def _sales_select(values: Mapping[str, str], keep: tuple[str, ...] = (),
                  extra: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The line values (inner SELECT, with the columns in `keep`) and the sums over them; `extra`
    are more line values (name → SQL), summed under their names after the others."""
    columns = ", ".join(dict.fromkeys((*keep, "document", "doc_type")))
    values = {**values, **(extra or {})}
    inner = f"SELECT {columns}, {select_list(values)} FROM lines"
    sums = ", ".join(f"SUM({m}) AS {m}" for m in (*SALES_MEASURES, *(extra or {})))
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


def sales_figures(sums: pd.DataFrame) -> pd.DataFrame:
    """A sales grid's figures from its raw sums (`sales_sums`): whole counts, money filled with 0
    and rounded, and GP%."""
    return _finish_sales(sums.copy())


def sales_grid(
    lines: Lines, values: Mapping[str, str], key: str, column: str | None = None, name: str = ""
) -> Grid:
    """Documents, invoices, credits, the money measures and GP% per value of `key`.

    `values` is the line formula set (PARTS_LINE or LABOUR_LINE); `column` names the key
    in the output (e.g. `date` for `date_edit`). One row per key value present, sorted.
    """
    column = column or key
    inner, outer = _sales_select(values, (key,))
    rows = summed(lines, f"SELECT {key} AS {column}, {outer} FROM ({inner}) AS line_values GROUP BY {key}",
                  f"{column} NULLS LAST")
    total = summed(lines, f"SELECT {outer} FROM ({inner}) AS line_values")
    rows = _finish_sales(rows)[[column, *SALES_COLUMNS]]
    total = _finish_sales(total)[list(SALES_COLUMNS)]
    return Grid(name or column, rows.reset_index(drop=True), total, (column,))


def pushes_down(lines: Lines) -> bool:
    """True for a database table's rows, whose sums its server computes (see `summed`)."""
    return getattr(type(lines), "pushdown", None) is not None


def sales_sums(lines: Lines, values: Mapping[str, str], keys: tuple[str, ...],
               extra: Mapping[str, str] | None = None) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The sums of `sales_grid` per value of each key, and over every line: one pass (GROUPING SETS).

    `extra` are more line values (name → SQL) summed beside them. Returns key → frame (the key's
    column, then the raw sums, sorted by the key, empty keys last) and the one-row totals frame.
    """
    inner, outer = _sales_select(values, keys, extra)
    flags = ", ".join(f"GROUPING({k}) AS by_{i}" for i, k in enumerate(keys))
    sets = ", ".join(f"({k})" for k in keys)
    order = ", ".join([*(f"by_{i}" for i in range(len(keys))), *(f"{k} NULLS LAST" for k in keys)])
    frame = query(lines, f"SELECT {flags}, {', '.join(keys)}, {outer} FROM ({inner}) AS line_values "
                         f"GROUP BY GROUPING SETS ({sets}, ()) ORDER BY {order}")
    sums = [c for c in frame.columns if not c.startswith("by_") and c not in keys]
    grouped = frame[[f"by_{i}" for i in range(len(keys))]]
    out = {}
    for i, k in enumerate(keys):
        rows = (grouped[f"by_{i}"] == 0) & (grouped.drop(columns=f"by_{i}") == 1).all(axis=1)
        out[k] = frame.loc[rows, [k, *sums]].reset_index(drop=True)
    total = frame.loc[(grouped == 1).all(axis=1), sums].reset_index(drop=True)
    return out, total


def sales_grids(lines: Lines, values: Mapping[str, str], keys: Mapping[str, tuple[str, str]]) -> dict[str, Grid]:
    """Several `sales_grid`s of the same lines (name → (key, output column)), with their totals:
    one pass over the lines where DuckDB computes them; a database computes each grid itself."""
    if pushes_down(lines):
        return {name: sales_grid(lines, values, key, column, name) for name, (key, column) in keys.items()}
    frames, total = sales_sums(lines, values, tuple(dict.fromkeys(k for k, _ in keys.values())))
    total = _finish_sales(total)[list(SALES_COLUMNS)]
    out = {}
    for name, (key, column) in keys.items():
        rows = _finish_sales(frames[key].rename(columns={key: column}))[[column, *SALES_COLUMNS]]
        out[name] = Grid(name, rows.reset_index(drop=True), total.copy(), (column,))
    return out


def _documents_sql(values: Mapping[str, str]) -> str:
    inner, _ = _sales_select(values, ("date_edit", "account", "wip_no"))
    sums = ", ".join(f"SUM({m}) AS {m}" for m in SALES_MEASURES)
    return (f"SELECT document, doc_type, MIN(date_edit) AS date, MIN(account) AS account, "
            f"MIN(wip_no) AS wip_no, COUNT(*) AS lines, {sums} FROM ({inner}) "
            "GROUP BY document, doc_type ORDER BY date, document, doc_type")


def _finish_documents(frame: pd.DataFrame, accounts: Lines | None) -> pd.DataFrame:
    frame = tidy(frame, SALES_MEASURES)
    frame["gp_pct"] = ratio(frame["profit"], frame["gross"])
    names = account_names(accounts)
    frame.insert(4, "name", frame["account"].map(names))
    return frame


def document_grid(lines: Lines, values: Mapping[str, str], accounts: Lines | None) -> pd.DataFrame:
    """One row per document (the source's invoices form): what it sold, its profit and GP%."""
    return _finish_documents(query(lines, _documents_sql(values)), accounts)


def first_documents(lines: Lines, values: Mapping[str, str], accounts: Lines | None,
                    limit: int) -> tuple[pd.DataFrame, int]:
    """The first `limit` rows of `document_grid` (by date and document) and how many documents
    there are in all: the documents are grouped and counted in SQL, only those rows travel."""
    frame, total = capped(lines, _documents_sql(values), limit)
    frame = _finish_documents(frame, accounts)
    frame.attrs["rows"] = total
    return frame, total


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


#: A chart of days spanning more days than this (two months) draws one point per ISO week (`weekly`).
WEEKS_AFTER_DAYS = 62


def day_span(days: pd.Series) -> int:
    """Days from the first to the last of `days`, both counted (0 when there is none)."""
    found = pd.to_datetime(days).dropna()
    return 0 if found.empty else int((found.max() - found.min()).days) + 1


def weekly(rows: pd.DataFrame, day: str = "date") -> pd.DataFrame:
    """Daily sales rows summed per ISO week (Monday to Sunday, the period's days only): one row per
    week present, `week` its Monday, `iso_week` its number, `days` the days with sales in it, each
    money column (`SALES_MEASURES`, and sales/margin where present) summed, and GP% from the week's
    sums (profit — or margin — ÷ gross × 100), never an average of the days' GP%."""
    sums = [c for c in (*SALES_MEASURES, "sales", "margin") if c in rows]
    days = pd.to_datetime(rows[day])
    monday = (days - pd.to_timedelta(days.dt.day_of_week, unit="D")).dt.normalize()
    frame = rows[sums].astype("float64").assign(week=monday)
    out = frame.groupby("week", sort=True)[sums].sum().reset_index()
    out.insert(1, "iso_week", [int(w.isocalendar()[1]) for w in out["week"]])
    out.insert(2, "days", frame.groupby("week", sort=True).size().to_numpy().astype("int64"))
    out = tidy(out, sums)
    profit = "profit" if "profit" in out else "margin"
    out["gp_pct"] = ratio(out[profit], out["gross"]) if {profit, "gross"} <= set(out) else float("nan")
    return out
