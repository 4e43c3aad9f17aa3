"""The pacing step of a run (SPEC §6.4): are we on track this month, for the run's scope?

Run in the run's main process before the report processes start (it reads two months of lines
and a year-old month, from the run's copy of a CSV source: well under a second), so that every report process finds
`tables/pacing/pacing.csv` in the run folder (the Accounts report puts its lines at the top of the
owner emails); the runner then adds its `Pacing` sheet to the spreadsheet and hands the grid to the
landing page.

The figures are those of `reports.pacing.pacing` over the scope's rows (`Scope.relation`): the
group reads every row, budgets with an empty branch included; a branch reads its own rows. Budgets
without a `branch` column are the group's, so a branch of a source whose lines carry branches has no
budget row then. Working days come from the settings' `calendar:` block (`reports.calendar`); a
calendar setting that cannot be used raises `CalendarError` naming the key (the command line exits 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aftersales.present.csvtables import write_csv
from aftersales.reports.calendar import Calendar, CalendarError
from aftersales.reports.grids import Grid
from aftersales.reports.pacing import pacing, pacing_by_branch
from aftersales.reports.periods import Period
from aftersales.run.scope import Scope
from aftersales.source.reader import Source

__all__ = ["CSV", "GRID", "REPORT", "TABLES", "CalendarError", "calendar_of", "pacing_grid", "pacing_grids",
           "write_pacing"]

#: The tables pacing reads: the run validates them with the reports' tables.
TABLES = ("parts_lines", "labour_lines", "budgets")
#: Where the grid is written in the run folder: `tables/<REPORT>/<GRID>.csv` (SPEC §6.4 `pacing/pacing`).
REPORT, GRID = "pacing", "pacing"
CSV = Path("tables") / REPORT / f"{GRID}.csv"


def calendar_of(settings: Mapping[str, Any]) -> Calendar:
    """The working-day calendar of the run's settings (`calendar:`), checked (CalendarError names the key)."""
    return Calendar.from_settings(settings.get("calendar"))


def pacing_grid(source: Source, period: Period, settings: Mapping[str, Any], scope: Scope = Scope()) -> Grid:
    """The pacing grid of `scope` for the month of `period.end`, as of `period.as_of`."""
    calendar = calendar_of(settings)
    parts = scope.relation(source, "parts_lines")
    labour = scope.relation(source, "labour_lines")
    budgets = scope.relation(source, "budgets")  # None when the source has no budgets table
    filters = scope.filters(source)
    if budgets is not None and "parts_lines" in filters and "budgets" not in filters:
        budgets = budgets.filter("1 = 0")  # budgets without a branch column are the group's: no branch's rows
    return pacing(parts, labour, budgets, to=period.end, as_of=period.as_of, calendar=calendar)


def pacing_grids(source: Source, period: Period, settings: Mapping[str, Any],
                 scopes: Sequence[Scope]) -> dict[Scope, Grid]:
    """The pacing grid of each scope: the group's as `pacing_grid`, and the branches' from one pass
    over the group's lines grouped by branch (`pacing_by_branch`): the same figures as `pacing_grid`
    gives for each branch alone."""
    grids = {scope: pacing_grid(source, period, settings, scope) for scope in scopes if scope.is_group}
    branches = [scope for scope in scopes if not scope.is_group]
    grouped = all(source.has_column(table, "branch") for table in ("parts_lines", "labour_lines"))
    if len(branches) == 1 or not grouped:
        grids.update({scope: pacing_grid(source, period, settings, scope) for scope in branches})
    elif branches:
        budgets = source.table("budgets") if source.has("budgets") else None
        by_branch = pacing_by_branch(
            source.table("parts_lines"), source.table("labour_lines"), budgets, to=period.end, as_of=period.as_of,
            calendar=calendar_of(settings), branches=[scope.branch for scope in branches],
            budgets_by_branch=budgets is not None and source.has_column("budgets", "branch"))
        grids.update({scope: by_branch[scope.branch] for scope in branches})
    return {scope: grids[scope] for scope in scopes}


def write_pacing(run_dirs: Mapping[Scope, Path], source: Source, period: Period, settings: Mapping[str, Any], *,
                 read_from: str = "") -> dict[Scope, Grid]:
    """Compute each scope's pacing, write it to `<run_dir>/tables/pacing/pacing.csv` of the scope's run
    folder and return the grids for the landing pages. (The run's spreadsheets make their sheet:
    `book.add_report(REPORT)`.)

    `read_from` is where the run's reports read the source: when it is another place than `source`
    (the run's DuckDB copy of a folder of CSV files), the step reads there too. A large source's CSV
    files take half a minute to scan (20 million lines); its copy, well under a second.
    """
    if read_from and read_from != source.location:
        with Source.open(read_from, settings) as copy:
            grids = pacing_grids(copy, period, settings, list(run_dirs))
    else:
        grids = pacing_grids(source, period, settings, list(run_dirs))
    for scope, run_dir in run_dirs.items():
        write_csv(grids[scope].rows, Path(run_dir) / CSV)
    return grids
