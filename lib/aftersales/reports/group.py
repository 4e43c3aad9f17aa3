"""The Branches grid of a dealer group (SPEC §6.2): one row per branch, its league rank and the
group's own totals — pure functions, relations in → a grid out.

The relations hold every branch and every date (the group scope); each question is one pass
over its table grouped by branch, with the group's own figure in the same pass (GROUPING SETS
((branch), ())), never a loop over branches:

- parts and invoiced labour lines of the period and of the prior period (the same dates a year
  earlier): Net, Profit, Gross — the line formulas of `formulas.py`, summed as exact decimals, so
  the group's figures equal the exact sums of its branches;
- hours sold and attended hours: §3 Workshop's Allowed (lines invoiced in the period that name a
  technician) and Attended (closed clockings whose clock-in day is in the period), with the
  workshop report's own SQL (`workshop_hours`), grouped by the branch written on each row;
- overheads of the period prorated by days as `operations.period_overheads` does, per branch.

`league` orders the grid by rank and `quartiles` marks its top and bottom quarter, for the page.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from aftersales.reports.formulas import INVOICED, LABOUR_LINE, PARTS_LINE, ratio, tidy
from aftersales.reports.grids import Grid, Lines, in_period, query, relation, sql_date
from aftersales.reports.operations import MISSING
from aftersales.reports.periods import Period
from aftersales.reports.workshop_hours import HAS_TECHNICIAN, _clocking_states, _line_states, _ts

#: The columns of CSV `group/branches` (SPEC §6.2), the key first.
COLUMNS = (
    "branch", "name", "region", "parts_net", "parts_profit", "parts_gp_pct", "labour_net", "labour_profit",
    "labour_gp_pct", "sales", "sales_prior", "growth_pct", "hours_sold", "attended", "pro_pct", "overheads",
    "absorption_pct", "rank",
)
#: The figures of the totals row (the group's own), in the grid's order.
TOTAL_COLUMNS = COLUMNS[3:-1]
#: The sums the figures are made of (money and hours, each rounded once summed).
_RAW_SUMS = ("parts_net", "parts_profit", "parts_gross", "parts_net_prior", "labour_net", "labour_profit",
             "labour_gross", "labour_net_prior", "hours_sold", "attended")
#: The values `quartiles` gives a row.
TOP, BOTTOM = "top", "bottom"
#: The fewest branches for which quartiles are marked (a quarter of fewer is not a branch).
QUARTILE_BRANCHES = 4

KPIS = {
    "Branch": "the branch code written on the lines (a source without a branch column is one branch, "
    "shown with an empty code); name and region from the branches table, empty for a code it lacks",
    "Parts net / profit": "Σ Net and Σ Profit of the branch's parts lines dated in the period",
    "Parts GP%": "parts Profit ÷ parts Gross × 100",
    "Labour net / profit": "Σ Net and Σ Profit of the branch's invoiced labour lines dated in the period",
    "Labour GP%": "labour Profit ÷ labour Gross × 100",
    "Sales": "parts net + labour net",
    "Sales prior": "the same over the same dates one year earlier (29 February → 28 February), ending at "
    "as-of one year earlier when the period ends after as-of",
    "Growth %": "(Sales − Sales prior) ÷ |Sales prior| × 100; empty when there were no prior sales",
    "Hours sold": "Σ Allowed of the workshop report over the branch's technicians: allowed hours of the "
    "branch's labour lines invoiced in the period that name a technician",
    "Attended": "Σ Attended of the workshop report: hours of the closed clockings written to the branch "
    "whose clock-in day is in the period",
    "Pro%": "Hours sold ÷ Attended × 100",
    "Overheads": "Σ over the months of the period of the branch's overhead × days of the month inside the "
    "period ÷ days in the month (over from–to, even when as-of cuts the period short); empty when the branch "
    "has no overhead row for the period",
    "Absorption %": "(parts Profit + labour Profit) ÷ Overheads × 100",
    "Rank": "1 for the highest sales; equal sales are ranked by branch code",
    "Totals": "the group's own figures from every line, equal to the sums of the branches; its "
    "percentages are ratios of the group's sums. Two columns may hold more: Attended also counts the clockings "
    "of a branch without a row (no parts or invoiced labour line), and Overheads those written to no branch or "
    "to a branch without a row",
    "Quartiles": "with four branches or more, the quarter of the branches (rounded down) ranked first "
    "are the top quartile and the quarter ranked last the bottom quartile",
}


# ---------------------------------------------------------------- one pass per question


def _branch_sql(lines: Lines) -> str:
    """SQL for a row's branch: its code as text; '' when the relation has no branch column (one branch)."""
    if "branch" in {str(c).lower() for c in lines.columns}:
        return "COALESCE(CAST(branch AS VARCHAR), '')"
    return "''"


def _by_branch(lines: Lines, inner: str, sums: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`sums` (SQL aggregates) over the rows of `inner` (a SELECT with a `branch` column) per branch
    and over every row, in one pass: the rows per branch and the one-row total."""
    frame = query(lines, f"SELECT GROUPING(branch) AS whole, branch, {sums} FROM ({inner}) AS rows_ "
                         "GROUP BY GROUPING SETS ((branch), ())")
    whole = frame["whole"] == 1
    rows = frame.loc[~whole].drop(columns="whole").reset_index(drop=True)
    total = frame.loc[whole].drop(columns=["whole", "branch"]).reset_index(drop=True)
    return rows, total


def _sales(lines: Lines, line: dict[str, str], period: Period, prior: Period, invoiced: bool,
           prefix: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Net, Profit, Gross of the period and Net of the prior period per branch (`<prefix>_net` …),
    with the number of lines in each (`<prefix>_n_now`, `<prefix>_n_prior`)."""
    now = in_period("date_edit", period.start, period.last)
    before = in_period("date_edit", prior.start, prior.last)
    condition = f"(({now}) OR ({before}))" + (f" AND {INVOICED}" if invoiced else "")
    rows = relation(lines).filter(condition)
    inner = (f"SELECT {_branch_sql(lines)} AS branch, ({now}) AS now, ({before}) AS before, "
             f"({line['net']}) AS net, ({line['profit']}) AS profit, ({line['gross']}) AS gross FROM lines")
    sums = (f"COUNT(*) FILTER (WHERE now) AS {prefix}_n_now, COUNT(*) FILTER (WHERE before) AS {prefix}_n_prior, "
            f"SUM(net) FILTER (WHERE now) AS {prefix}_net, SUM(profit) FILTER (WHERE now) AS {prefix}_profit, "
            f"SUM(gross) FILTER (WHERE now) AS {prefix}_gross, SUM(net) FILTER (WHERE before) AS {prefix}_prior")
    return _by_branch(rows, inner, sums)


def _hours_sold(labour: Lines, period: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Σ Allowed of §3 Workshop per branch: the allowed hours of the lines invoiced in the period
    (as the workshop report dates them) that name a technician."""
    rows = relation(labour).filter(in_period("date_edit", period.start, period.last))
    states = _line_states(period.start, period.last, period.as_of)
    inner = (f"SELECT {_branch_sql(labour)} AS branch, allowed_h FROM ({states}) AS states "
             f"WHERE in_period AND NOT undated AND {HAS_TECHNICIAN}")
    return _by_branch(rows, inner, "SUM(allowed_h) AS hours_sold")


def _attended(clockings: Lines, period: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Σ Attended of §3 Workshop per branch: the hours of the closed clockings (as the workshop
    report closes them) whose clock-in day is in the period, in the branch written on each."""
    start, last = period.start, period.last
    rows = relation(clockings).filter(f"clock_in >= {_ts(start)} AND clock_in < {_ts(last + dt.timedelta(days=1))}")
    # summed as exact seconds and turned into hours once: a group's hours are then the exact sum of its branches'
    inner = (f"SELECT {_branch_sql(clockings)} AS branch, CAST(epoch(clock_out) - epoch(clock_in) AS DECIMAL(38, 6)) "
             f"AS seconds FROM ({_clocking_states(start, last, period.as_of)}) AS states WHERE NOT open_clocking")
    return _by_branch(rows, inner, "CAST(SUM(seconds) AS DOUBLE) / 3600.0 AS attended")


def _overheads(overheads: Lines, start: dt.date, end: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`operations.period_overheads` per branch: Σ amount × (days of the month inside start..end ÷
    days in the month) and the number of rows that share in the period (`months`)."""
    s, e = sql_date(start), sql_date(end)
    inner = f"""
        SELECT branch, amount * share AS amount
        FROM (SELECT branch, amount,
                     CAST(GREATEST(0, LEAST({e}, last_day(first)) - GREATEST({s}, first) + 1) AS DOUBLE)
                     / day(last_day(first)) AS share
              FROM (SELECT {_branch_sql(overheads)} AS branch, amount,
                           TRY_CAST(left(CAST(month AS VARCHAR), 7) || '-01' AS DATE) AS first FROM lines) AS m
              WHERE first IS NOT NULL) AS shared
        WHERE share > 0"""
    return _by_branch(overheads, inner, "COUNT(*) AS months, SUM(amount) AS overheads")


def _names(branches_table: Lines | None) -> pd.DataFrame:
    """Name and region per branch code (none without the table)."""
    if branches_table is None:
        return pd.DataFrame({c: pd.Series([], dtype="object") for c in ("branch", "name", "region")})
    return query(branches_table, "SELECT CAST(branch AS VARCHAR) AS branch, name, region FROM lines")


# ---------------------------------------------------------------- the grid


def branches(parts: Lines, labour: Lines, clockings: Lines | None, branches_table: Lines | None,
             overheads: Lines | None, period: Period) -> Grid:
    """The Branches grid (CSV `group/branches`): one row per branch with a parts line or an invoiced
    labour line in the period or in the prior period, sorted by branch code, and the group's own
    figures as its totals row.

    `parts`, `labour` and `clockings` hold every branch and every date; `clockings`,
    `branches_table` and `overheads` are None when the source lacks the table (attended hours are
    then 0 and the overheads empty). A source without a branch column is one branch: one row whose
    code is empty.
    """
    prior = period.prior()
    parts_rows, parts_total = _sales(parts, PARTS_LINE, period, prior, False, "parts")
    labour_rows, labour_total = _sales(labour, LABOUR_LINE, period, prior, True, "labour")
    sold_rows, sold_total = _hours_sold(labour, period)
    pieces, totals = [parts_rows, labour_rows, sold_rows], [parts_total, labour_total, sold_total]
    if clockings is not None:
        clock_rows, clock_total = _attended(clockings, period)
        pieces.append(clock_rows)
        totals.append(clock_total)
    if overheads is not None:
        over_rows, over_total = _overheads(overheads, period.start, period.end)
        pieces.append(over_rows)
        totals.append(over_total)

    present = pd.concat([parts_rows, labour_rows])
    counted = present.filter(like="_n_").fillna(0).sum(axis=1) > 0
    codes = sorted(set(present.loc[counted, "branch"]))
    frame = pd.DataFrame({"branch": pd.Series(codes, dtype="object")})
    for piece in pieces:
        frame = frame.merge(piece, on="branch", how="left")
    total = pd.concat([t.reset_index(drop=True) for t in totals], axis=1)

    names = _names(branches_table)
    frame = frame.merge(names, on="branch", how="left")
    for col in ("name", "region"):
        frame[col] = frame[col].where(frame[col].notna(), "").astype("object")

    rows = _figures(frame, overheads is not None)
    rows = rows.sort_values("branch", kind="stable").reset_index(drop=True)
    order = sorted(range(len(rows)), key=lambda i: (-rows.at[i, "sales"], rows.at[i, "branch"]))
    rank = pd.Series(0, index=rows.index, dtype="int64")
    rank.iloc[order] = range(1, len(rows) + 1)
    rows["rank"] = rank
    grid = Grid("branches", rows[list(COLUMNS)], _figures(total, overheads is not None)[list(TOTAL_COLUMNS)],
                ("branch",))
    if clockings is None:
        grid.notes.append("The source has no clockings: attended hours are 0 and Pro% is empty.")
    if overheads is None:
        grid.notes.append(f"Empty figures: {MISSING['overheads']}")
    if len(rows) == 1 and rows.at[0, "branch"] == "":
        grid.notes.append("The source has no branch column: the whole source is one branch.")
    return grid


def _figures(frame: pd.DataFrame, with_overheads: bool) -> pd.DataFrame:
    """The grid's figures from the raw sums of `frame` (per branch or the group's one row): sums
    filled with 0 and rounded, sales, growth, ratios from the sums, overheads and absorption."""
    frame = frame.copy().rename(columns={"parts_prior": "parts_net_prior", "labour_prior": "labour_net_prior"})
    for col in _RAW_SUMS:
        frame[col] = frame[col].astype("float64").fillna(0.0) if col in frame else 0.0
    frame = tidy(frame, list(_RAW_SUMS))
    frame["sales"] = (frame["parts_net"] + frame["labour_net"]).round(6) + 0.0
    frame["sales_prior"] = (frame["parts_net_prior"] + frame["labour_net_prior"]).round(6) + 0.0
    frame["growth_pct"] = ratio(frame["sales"] - frame["sales_prior"], frame["sales_prior"].abs())
    frame["parts_gp_pct"] = ratio(frame["parts_profit"], frame["parts_gross"])
    frame["labour_gp_pct"] = ratio(frame["labour_profit"], frame["labour_gross"])
    frame["pro_pct"] = ratio(frame["hours_sold"], frame["attended"])
    if with_overheads and "overheads" in frame:
        months = frame["months"].astype("float64").fillna(0)
        spread = frame["overheads"].astype("float64").where(months > 0)
        frame["overheads"] = tidy(pd.DataFrame({"o": spread}))["o"]
    else:
        frame["overheads"] = math.nan
    profit = (frame["parts_profit"] + frame["labour_profit"]).round(6) + 0.0
    frame["absorption_pct"] = ratio(profit, frame["overheads"])
    return frame


# ---------------------------------------------------------------- for the page


def league(grid: Grid) -> Grid:
    """The Branches grid as a league table: its rows by rank (1 first), the same totals row."""
    rows = grid.rows.sort_values("rank", kind="stable").reset_index(drop=True)
    return Grid(grid.name, rows, grid.total, grid.key, list(grid.notes))


def quartiles(grid: Grid) -> pd.Series:
    """`top`, `bottom` or '' per row of `grid` (aligned with `grid.rows`): with n ≥ 4 branches, the
    n // 4 branches ranked first are the top quartile and the n // 4 ranked last the bottom one
    (equal sales are ranked by branch code, as in the league); with fewer, none is marked."""
    ranks = grid.rows["rank"]
    n = len(ranks)
    band = pd.Series("", index=grid.rows.index, dtype="object", name="quartile")
    if n < QUARTILE_BRANCHES:
        return band
    k = n // 4
    band[ranks <= k] = TOP
    band[ranks > n - k] = BOTTOM
    return band
