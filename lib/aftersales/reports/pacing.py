"""Month-end pacing (SPEC §6.4): are we on track this month? Pure functions, relations in → a grid out.

M is the calendar month holding `to`, t = min(`to`, `as_of`). For each budget measure: the
month to date (1st of M .. t), the working days elapsed and in the month (`calendar.Calendar`),
the projected month-end, the budget of M and its share to date, and the same whole month one
year earlier. Every figure is a sum of the line formulas of `formulas.py`, computed in DuckDB:
one query for the parts measures, one for the labour measures, one for the budgets.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from aftersales.reports.calendar import Calendar
from aftersales.reports.formulas import ALLOWED_HOURS, INVOICED, LABOUR_LINE, PARTS_LINE, exact, ratio, tidy
from aftersales.reports.grids import Grid, Lines, in_period, query, relation
from aftersales.reports.periods import add_months

#: The budget measures, in the order of `budgets.measure` (SPEC §6.1): the pacing grid's rows.
MEASURES = ("parts_net", "parts_profit", "labour_net", "labour_profit", "hours_sold")
#: The measures as pages and emails name them (the CSV keeps the codes).
MEASURE_LABELS = {"parts_net": "Parts net sales", "parts_profit": "Parts gross profit",
                  "labour_net": "Labour net sales", "labour_profit": "Labour gross profit", "hours_sold": "Hours sold"}

#: The columns of CSV `pacing/pacing` (SPEC §6.4), in order.
PACING_COLUMNS = (
    "measure", "mtd", "elapsed_days", "total_days", "projected", "budget", "target_to_date",
    "pace_pct", "projected_vs_budget_pct", "last_year", "projected_vs_last_year_pct",
)

#: What each measure sums: its family's lines and the line formula (SQL).
_PARTS = {"parts_net": PARTS_LINE["net"], "parts_profit": PARTS_LINE["profit"]}
_LABOUR = {"labour_net": LABOUR_LINE["net"], "labour_profit": LABOUR_LINE["profit"], "hours_sold": ALLOWED_HOURS}

#: Words beside the pace colour (`pacing_status`).
AHEAD, BEHIND, ON_TRACK = "ahead", "behind", "on track"

KPIS = {
    "MTD": "the measure from the 1st of the month of `to` to t = the earlier of `to` and as-of",
    "Working days": "days whose weekday is a working day (calendar.working_days), not closed "
    "(calendar.closed) and not a public holiday of calendar.country",
    "Elapsed / Total": "working days from the 1st of the month to t, both included / working days in the month",
    "Projected": "MTD ÷ elapsed working days × working days in the month; empty when no working day has elapsed",
    "Budget": "Σ budgets.value of the month for the measure; empty (not 0) when the month has no budget row",
    "Target to date": "Budget × elapsed ÷ total working days",
    "Pace %": "MTD ÷ target to date × 100 (100 = on budget's pace); empty when the target is 0 or empty",
    "Projected vs budget %": "Projected ÷ Budget × 100",
    "Last year": "the measure over the whole same calendar month one year earlier",
    "Projected vs last year %": "(Projected − Last year) ÷ |Last year| × 100; empty when last year is 0",
    "Measures": "parts net and profit of every parts line; labour net and profit of invoiced labour lines; "
    "hours sold = Σ allowed time × minutes per unit ÷ 60 × contribution ÷ 100 of invoiced labour lines, "
    "with or without a technician. Credits count with their signs.",
}


@dataclass(frozen=True)
class PacingWindow:
    """The dates pacing reads: M's first and last day, t, and last year's whole month M."""

    first: dt.date  #: the 1st of M
    through: dt.date  #: t = min(to, as_of): the month to date ends here
    last: dt.date  #: the last day of M
    last_year_first: dt.date  #: the 1st of the same month one year earlier
    last_year_last: dt.date  #: its last day (28 February after a leap year's 29th)
    as_of: dt.date

    @property
    def month(self) -> str:
        """M as `YYYY-MM` (as in `budgets.month`)."""
        return f"{self.first.year:04d}-{self.first.month:02d}"


def window(to: dt.date, as_of: dt.date) -> PacingWindow:
    """The pacing dates for a run ending `to` with as-of `as_of`."""
    first = to.replace(day=1)
    last = add_months(first, 1) - dt.timedelta(days=1)
    ly_first = add_months(first, -12)
    ly_last = add_months(ly_first, 1) - dt.timedelta(days=1)
    return PacingWindow(first, min(to, as_of), last, ly_first, ly_last, as_of)


def pacing(parts: Lines, labour: Lines, budgets: Lines | None, *, to: dt.date, as_of: dt.date,
           calendar: Calendar) -> Grid:
    """The pacing grid: one row per measure of MEASURES, in that order, with PACING_COLUMNS.

    `parts` and `labour` are the scope's parts_lines and labour_lines (every date: the dates
    are chosen here); `budgets` the scope's budgets rows, or None when the source has none.
    The grid has no totals row: the measures are in different units.
    """
    win = window(to, as_of)
    parts_mtd, parts_ly = _sums(parts, _PARTS, win, "")[None]
    labour_mtd, labour_ly = _sums(labour, _LABOUR, win, INVOICED)[None]
    budget = _budgets(budgets, win.month)[None] if budgets is not None else {}
    return _grid(win, calendar, {**parts_mtd, **labour_mtd}, {**parts_ly, **labour_ly}, budget, budgets is None)


def pacing_by_branch(parts: Lines, labour: Lines, budgets: Lines | None, *, to: dt.date, as_of: dt.date,
                     calendar: Calendar, branches: Sequence[str], budgets_by_branch: bool = True) -> dict[str, Grid]:
    """The pacing grid of each code of `branches`, the same as `pacing` over that branch's rows, from
    one query per table grouped by `branch` (a group of thirty branches reads its lines once, not
    thirty times).

    `parts`, `labour` and `budgets` are the group's rows, each with a `branch` column; `budgets` is None
    when the source has no budgets table, and `budgets_by_branch` False when it has one without a
    `branch` column (its rows are the group's: no branch has a budget row).
    """
    win = window(to, as_of)
    parts_sums = _sums(parts, _PARTS, win, "", by="branch")
    labour_sums = _sums(labour, _LABOUR, win, INVOICED, by="branch")
    budget = _budgets(budgets, win.month, by="branch") if budgets is not None and budgets_by_branch else {}
    zero = {m: 0.0 for m in MEASURES}  # a sum over no line is 0
    grids = {}
    for code in branches:
        (parts_mtd, parts_ly), (labour_mtd, labour_ly) = parts_sums.get(code, ({}, {})), labour_sums.get(code, ({}, {}))
        grids[code] = _grid(win, calendar, {**zero, **parts_mtd, **labour_mtd}, {**zero, **parts_ly, **labour_ly},
                            budget.get(code, {}), budgets is None)
    return grids


def _grid(win: PacingWindow, calendar: Calendar, mtd: Mapping[str, float], last_year: Mapping[str, float],
          budget: Mapping[str, float], no_table: bool) -> Grid:
    elapsed = calendar.working_days(win.first, win.through)
    total = calendar.working_days(win.first, win.last)
    rows = pd.DataFrame([_row(m, mtd.get(m, 0.0), last_year.get(m, 0.0), budget.get(m, math.nan), elapsed, total)
                         for m in MEASURES], columns=list(PACING_COLUMNS))
    for col in PACING_COLUMNS[1:]:
        rows[col] = rows[col].astype("int64" if col.endswith("_days") else "float64")
    grid = Grid("pacing", rows, None, ("measure",))
    grid.notes.extend(_notes(win, elapsed, total, no_table, [m for m in MEASURES if m not in budget]))
    return grid


def _row(measure: str, mtd: float, last_year: float, budget: float, elapsed: int, total: int) -> dict:
    projected = ratio(mtd, elapsed, scale=total)  # MTD / Elapsed × Total; empty when Elapsed is 0
    target = ratio(budget, total, scale=elapsed)  # Budget × Elapsed / Total; empty without a budget
    return {
        "measure": measure,
        "mtd": mtd,
        "elapsed_days": elapsed,
        "total_days": total,
        "projected": projected,
        "budget": budget,
        "target_to_date": target,
        "pace_pct": ratio(mtd, target),
        "projected_vs_budget_pct": ratio(projected, budget),
        "last_year": last_year,
        "projected_vs_last_year_pct": ratio(projected - last_year, abs(last_year)),
    }


def _sums(lines: Lines, measures: Mapping[str, str], win: PacingWindow, condition: str,
          by: str | None = None) -> dict[Any, tuple[dict[str, float], dict[str, float]]]:
    """The measures over the month to date and over last year's month, in one query: per value of
    the column `by` (a value without a line in either month is absent), or under None for all lines
    (always there: a sum over no line is 0).

    Nothing dated after as_of counts (last year's month included).
    """
    this_month = in_period("date_edit", win.first, win.through)
    ly_month = in_period("date_edit", win.last_year_first, min(win.last_year_last, win.as_of))
    rows = relation(lines)
    if condition:
        rows = rows.filter(condition)
    rows = rows.filter(f"({this_month}) OR ({ly_month})")
    values = ", ".join(f"({expr}) AS {name}" for name, expr in measures.items())
    sums = ", ".join(f"SUM({name}) FILTER (WHERE {cond}) AS {name}__{when}"
                     for name in measures for when, cond in (("mtd", this_month), ("ly", ly_month)))
    key, inner = ("by_key, ", f"{by} AS by_key, ") if by else ("", "")
    frame = query(rows, f"SELECT {key}{sums} FROM (SELECT {inner}date_edit, {values} FROM lines) AS line_values"
                        + (" GROUP BY by_key" if by else ""))
    keys = frame.pop("by_key").tolist() if by else [None]
    frame = tidy(frame.astype("float64").fillna(0.0))
    return {key: ({name: float(got[f"{name}__mtd"]) for name in measures},
                  {name: float(got[f"{name}__ly"]) for name in measures})
            for key, (_, got) in zip(keys, frame.iterrows())}


def _budgets(budgets: Lines, month: str, by: str | None = None) -> dict[Any, dict[str, float]]:
    """Σ value per measure of the month's budget rows, per value of the column `by` (or under None
    for all rows); a measure without a row is absent."""
    key = f"{by} AS by_key, " if by else "NULL AS by_key, "
    frame = query(budgets, f"SELECT {key}measure, SUM({exact('value')}) AS budget FROM lines "
                           f"WHERE month = '{month}' GROUP BY by_key, measure")
    frame["budget"] = frame["budget"].astype("float64")
    frame = tidy(frame, ["budget"])
    out: dict[Any, dict[str, float]] = {} if by else {None: {}}
    for code, m, v in zip(frame["by_key"], frame["measure"], frame["budget"]):
        if m in MEASURES:
            out.setdefault(code if by else None, {})[str(m)] = float(v)
    return out


def _notes(win: PacingWindow, elapsed: int, total: int, no_table: bool, unbudgeted: list[str]) -> list[str]:
    notes = [f"Month {win.month}, to date {win.first.isoformat()} .. {win.through.isoformat()}: "
             f"{elapsed} of {total} working days elapsed; last year = "
             f"{win.last_year_first.isoformat()} .. {win.last_year_last.isoformat()}."]
    if no_table:
        notes.append("The source has no budgets table: budget, target to date, pace and projected vs budget "
                     "are empty.")
    elif unbudgeted:
        notes.append(f"No budget for {win.month} for {', '.join(unbudgeted)}: their budget, target to date "
                     "and pace are empty.")
    if elapsed == 0:
        notes.append("No working day has elapsed yet this month: the projection is empty.")
    return notes


def pacing_status(row: Mapping[str, Any] | pd.Series, *, band: float = 0.0) -> str:
    """`ahead` when pace % ≥ 100, `behind` when < 100, `` when pace is empty.

    With a `band` (points), a pace within 100 ± band — 100 − band ≤ pace < 100 + band — is
    `on track`, above it `ahead`, below it `behind`. The default band 0 never says `on track`.
    """
    pace = row["pace_pct"]
    if pace is None or pd.isna(pace):
        return ""
    pace = float(pace)
    if pace >= 100.0 + band:
        return AHEAD
    if pace < 100.0 - band:
        return BEHIND
    return ON_TRACK
