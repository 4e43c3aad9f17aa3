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

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aftersales.present.csvtables import write_csv
from aftersales.reports.calendar import Calendar, CalendarError
from aftersales.reports.grids import Grid
from aftersales.reports.pacing import pacing
from aftersales.reports.periods import Period
from aftersales.run.scope import Scope
from aftersales.source.reader import Source

__all__ = ["CSV", "GRID", "REPORT", "TABLES", "CalendarError", "calendar_of", "pacing_grid", "write_pacing"]

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


def write_pacing(run_dir: Path, source: Source, period: Period, settings: Mapping[str, Any], *,
                 scope: Scope = Scope(), read_from: str = "") -> Grid:
    """Compute the scope's pacing, write `<run_dir>/tables/pacing/pacing.csv` and return the grid for
    the landing page. (The run's spreadsheet makes its sheet: `book.add_report(REPORT)`.)

    `read_from` is where the run's reports read the source: when it is another place than `source`
    (the run's DuckDB copy of a folder of CSV files), the step reads there too. A large source's CSV
    files take half a minute to scan (20 million lines); its copy, well under a second.
    """
    if read_from and read_from != source.location:
        with Source.open(read_from, settings) as copy:
            grid = pacing_grid(copy, period, settings, scope)
    else:
        grid = pacing_grid(source, period, settings, scope)
    write_csv(grid.rows, Path(run_dir) / CSV)
    return grid
