"""Drill-down for the explorer: from a value of a grid's key (a day, a department, an operator,
a technician, an account, a rep) to its documents, and from a document to its lines — the
source's invoice summary. In Workshop a technician leads to the clock history (the source's
resource lines) and a job to its labour lines.

Every step takes the explorer's context (the period and filters on screen, see
`report.Context.view`) and returns frames or grids made by the report modules' own functions
(`parts.documents`, `labour.documents`, `workshop.history`, `accounts.accounts_grid`) or, for a
document's lines, by the shared line formulas of `formulas.py` — nothing is computed here twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from aftersales.reports.formulas import (
    ALLOWED_HOURS,
    LABOUR_LINE,
    PARTS_LINE,
    SALES_MEASURES,
    TAKEN_HOURS,
    ratio,
    select_list,
    tidy,
)
from aftersales.reports.grids import Grid, Lines, in_period, query, sql_date, sum_total


def literal(value) -> str:
    """A value chosen in a control as a SQL literal: text quoted, days as DATE, empty as NULL."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return "NULL"
    if isinstance(value, pd.Timestamp):
        value = value.date()
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return sql_date(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def listed(values: Sequence) -> str:
    """Values as a SQL list, for `column IN (…)`."""
    return ", ".join(literal(v) for v in values)


# ---------------------------------------------------------------- a document's lines

PARTS_COLUMNS = ("document", "doc_type", "date_edit AS date", "account", "wip_no", "department", "sale_type",
                 "operator", "part_no", "quantity", "retail_price", "selling_price", "cost_price")
#: A labour line's times are in the source's time units (`minutes_per_unit` minutes each, credited by
#: `contribution` %): shown as such beside the hours they make (`LABOUR_HOURS`), each column named
#: with its unit (labour.DISPLAY: "Allowed time (units)", "Allowed (hours)"), never a bare "2" beside "1.70".
LABOUR_COLUMNS = ("document", "doc_type", "date_edit AS date", "account", "wip_no", "line_no", "department",
                  "labour_type", "wip_owner", "technician", "allowed_time AS allowed_units",
                  "time_taken AS taken_units", "minutes_per_unit", "contribution AS contribution_pct",
                  "labour_rate")
#: The hours of a labour line (summed in the totals row): allowed (sold) and taken.
LABOUR_HOURS = {"allowed_hours": ALLOWED_HOURS, "taken_hours": TAKEN_HOURS}


def line_grid(lines: Lines, values: Mapping[str, str], columns: Sequence[str], name: str,
              extra: Mapping[str, str] | None = None, order: str = "date_edit, document") -> Grid:
    """One row per line with its values (the shared line formulas) and GP%, and the totals row.

    `values` is PARTS_LINE or LABOUR_LINE; `extra` more named SQL expressions (hours).
    """
    more = ", " + select_list(extra) if extra else ""
    rows = query(lines, f"SELECT {', '.join(columns)}, {select_list(values)}{more} FROM lines ORDER BY {order}")
    sums = [*SALES_MEASURES, *(extra or {})]
    for col in sums:
        rows[col] = rows[col].astype("float64")
    rows = tidy(rows, sums)
    rows["gp_pct"] = ratio(rows["profit"], rows["gross"])
    total = tidy(sum_total(rows, sums), sums)
    total["gp_pct"] = ratio(total["profit"], total["gross"])
    return Grid(name, rows.reset_index(drop=True), total, ("document",))


def parts_lines(lines: Lines) -> Grid:
    """Parts lines with their Gross, Discount, Net, Cost, Profit, Variance and GP%."""
    return line_grid(lines, PARTS_LINE, PARTS_COLUMNS, "parts_lines")


def labour_lines(lines: Lines) -> Grid:
    """Labour lines with their times in units and in hours (allowed = hours sold), money values and GP%."""
    return line_grid(lines, LABOUR_LINE, LABOUR_COLUMNS, "labour_lines", LABOUR_HOURS,
                     order="date_edit NULLS LAST, document, wip_no, line_no")


# ---------------------------------------------------------------- the steps of each report


@dataclass(frozen=True)
class Key:
    """A first step: a value of `grid`'s `column` selects the lines meeting `where` ({value})."""

    label: str
    grid: str
    column: str
    where: str
    where_none: str = ""  # the condition for the row with an empty key, when not `where` with NULL

    def condition(self, value) -> str:
        if (value is None or value != value) and self.where_none:
            return self.where_none
        return self.where.format(value=literal(value))


@dataclass(frozen=True)
class Steps:
    """A report's drill-down: keys → items (documents, clockings, accounts) → an item's detail."""

    keys: tuple[Key, ...]
    items_title: str
    items: Callable  # (ctx, condition) → DataFrame
    item_label: str
    item_column: str
    detail: Callable  # (ctx, item) → list of Grid or DataFrame
    #: The invoice/credit/loss legend above the list (documents have it; clockings are none of those).
    legend: bool = True
    #: The list's totals row (items → one-row frame), when its rows add up.
    total: Callable | None = None
    #: Columns that only repeat the chosen key (a technician and its name): said once in the heading.
    named: tuple[str, ...] = ()

    def key(self, label: str) -> Key:
        return next(k for k in self.keys if k.label == label)


def _same(column: str) -> str:
    return f"{column} IS NOT DISTINCT FROM {{value}}"


def _of_accounts(attribute: str) -> tuple[str, str]:
    """Lines of the accounts whose `attribute` is the value; and of those with none (or unknown)."""
    return (f"account IN (SELECT account FROM accounts WHERE {attribute} = {{value}})",
            f"account NOT IN (SELECT account FROM accounts WHERE {attribute} IS NOT NULL)")


def _parts_documents(ctx, condition: str) -> pd.DataFrame:
    from aftersales.reports import parts

    return parts.documents(ctx.lines("parts_lines").filter(condition), ctx.table("accounts"))


def _parts_detail(ctx, document) -> list:
    return [parts_lines(ctx.lines("parts_lines").filter(f"document = {literal(document)}"))]


def _labour_documents(ctx, condition: str) -> pd.DataFrame:
    from aftersales.reports import labour

    return labour.documents(ctx.lines("labour_lines").filter(condition), ctx.table("accounts"))


def _labour_detail(ctx, document) -> list:
    return [labour_lines(ctx.lines("labour_lines").filter(f"document = {literal(document)}"))]


def _clock_history(ctx, condition: str) -> pd.DataFrame:
    from aftersales.reports import workshop

    clockings = ctx.table("clockings")
    if clockings is None:
        return pd.DataFrame(columns=list(workshop.HISTORY_COLUMNS))
    p = ctx.period
    return workshop.history(ctx.table("labour_lines").filter(condition), clockings.filter(condition),
                            p.start, p.last, p.as_of)


def clock_total(history: pd.DataFrame) -> pd.DataFrame:
    """The clock history's totals row: its clockings' hours. A job line's allowed and taken hours are
    repeated on each clocking to that line, so they are not summed (the job's lines total them)."""
    hours = pd.to_numeric(history["hours"], errors="coerce").astype("float64")
    return tidy(pd.DataFrame([{"hours": float(hours.sum())}]), ["hours"])


def _job_lines(ctx, wip_no) -> list:
    """The job's labour lines raised by as-of (invoiced or not), for the technicians on screen."""
    lines = ctx.table("labour_lines").filter(
        f"wip_no = {literal(wip_no)} AND date_created <= {sql_date(ctx.period.as_of)}")
    return [labour_lines(lines)]


def sales_documents(ctx, condition: str) -> pd.DataFrame:
    """The period's parts and labour documents of the lines meeting `condition`, one row per
    document and kind (a job's invoice has a parts row and a labour row)."""
    from aftersales.reports import labour, parts

    frames = []
    for kind, make, table in (("parts", parts.documents, "parts_lines"), ("labour", labour.documents, "labour_lines")):
        frame = make(ctx.lines(table).filter(condition), ctx.table("accounts"))
        frame.insert(0, "kind", kind)
        frames.append(frame)
    filled = [f for f in frames if len(f)] or frames[:1]  # (concat warns on empty frames)
    both = pd.concat(filled, ignore_index=True)
    return both.sort_values(["date", "document", "kind"], kind="stable").reset_index(drop=True)


def document_detail(ctx, document) -> list:
    """The document's parts lines and labour lines in the period (each list only when it has lines)."""
    where = f"document = {literal(document)}"
    grids = [parts_lines(ctx.lines("parts_lines").filter(where)),
             labour_lines(ctx.lines("labour_lines").filter(where))]
    return [g for g in grids if not g.empty] or grids[:1]


def owned_accounts(ctx, condition: str) -> pd.DataFrame:
    """The accounts grid (the period against a year earlier) of the accounts meeting `condition`."""
    from aftersales.reports import accounts

    p = ctx.period
    chosen = f"account IN (SELECT account FROM accounts WHERE {condition})"
    window = in_period("date_edit", p.prior().start, p.last)
    lines = accounts.sales_lines(ctx.table("parts_lines").filter(chosen).filter(window),
                                 ctx.table("labour_lines").filter(chosen).filter(window))
    info = accounts.account_info(ctx.table("accounts").filter(condition))
    return accounts.accounts_grid(lines, info, p).rows


def _account_documents(ctx, account) -> list:
    return [sales_documents(ctx, f"account = {literal(account)}")]


DAY = Key("Day", "activity", "date", "date_edit = {value}")

STEPS = {
    "parts": Steps(
        keys=(DAY, Key("Department", "departments", "department", _same("department")),
              Key("Sale type", "sales_types", "sale_type", _same("sale_type")),
              Key("Operator", "operators", "operator", _same("operator"))),
        items_title="Documents", items=_parts_documents, item_label="Document", item_column="document",
        detail=_parts_detail),
    "labour": Steps(
        keys=(DAY, Key("Department", "departments", "department", _same("department")),
              Key("Labour type", "labour_types", "labour_type", _same("labour_type")),
              Key("Operator", "operators", "operator", _same("wip_owner"))),
        items_title="Documents", items=_labour_documents, item_label="Document", item_column="document",
        detail=_labour_detail),
    "workshop": Steps(
        keys=(Key("Technician", "technicians", "technician", _same("technician")),),
        items_title="Clock history", items=_clock_history, item_label="Job", item_column="wip_no",
        detail=_job_lines, legend=False, total=clock_total, named=("technician", "name")),
    "operations": Steps(
        keys=(Key("Pay type", "pay_types", "pay_type", "coalesce(nullif(pay_type, ''), 'customer') = {value}"),),
        items_title="Documents", items=_labour_documents, item_label="Document", item_column="document",
        detail=_labour_detail),
    "accounts": Steps(
        keys=(Key("Account", "accounts", "account", "account = {value}"),
              Key("Owner", "owners", "owner", *_of_accounts("owner")),
              Key("Territory", "accounts", "territory", *_of_accounts("territory"))),
        items_title="Documents", items=sales_documents, item_label="Document", item_column="document",
        detail=document_detail),
    "sales": Steps(
        keys=(Key("Rep", "reps", "rep", "owner = {value}"),
              Key("Territory", "territories", "territory", "territory = {value}", "territory IS NULL")),
        items_title="Accounts", items=owned_accounts, item_label="Account", item_column="account",
        detail=_account_documents),
}
