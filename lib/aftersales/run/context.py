"""What a report notebook starts with: checked parameters, the period, the source, outputs.

A notebook's parameters cell holds literals only; its next cell is `ctx = report.start(...)`,
which validates them here (dates, the report's name) and opens the data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from aftersales import params as params_module
from aftersales.config import REPORTS
from aftersales.notify.mime import one_line
from aftersales.present.csvtables import write_csv
from aftersales.reports.grids import Grid, in_period, query
from aftersales.reports.periods import Period, parse_date, resolve
from aftersales.run.group_step import branch_names
from aftersales.run.scope import Scope, branches_found
from aftersales.source.contract import TABLES
from aftersales.source.reader import Source


@dataclass
class Context:
    report: str
    period: Period
    params: dict[str, Any]
    source: Source
    out_dir: Path | None = None
    interactive: bool = False
    summary: dict[str, Any] = field(default_factory=dict)
    #: The explorer's filters: table → SQL condition its rows must meet (empty in a scheduled run).
    filters: dict[str, str] = field(default_factory=dict)
    #: The scope (SPEC §6.2): the group, or one branch whose rows alone the reports read.
    scope: Scope = field(default_factory=Scope)

    # ------------------------------------------------------------ data
    def has(self, table: str) -> bool:
        return self.source.has(table)

    def table(self, name: str) -> duckdb.DuckDBPyRelation | None:
        """The whole table (up to as_of is the caller's filter), or None when absent."""
        return self._filtered(name, self.source.table(name)) if self.source.has(name) else None

    def lines(self, name: str, period: Period | None = None) -> duckdb.DuckDBPyRelation:
        """The table's rows whose reporting date falls in the period (both days included)."""
        period = period or self.period
        column = TABLES[name].date_column
        return self._filtered(name, self.source.table(name)).filter(in_period(column, period.start, period.last))

    def _filtered(self, name: str, rows: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
        for condition in (self.scope.filters(self.source).get(name), self.filters.get(name)):
            if condition:
                rows = rows.filter(condition)
        return rows

    def view(self, period: Period | None = None, filters: dict[str, str] | None = None,
             branch: str | None = None) -> "Context":
        """A copy for exploring another period, filters (table → SQL condition) and, when `branch` is
        given, another scope ("" the group, else a branch's code); it writes nothing."""
        scope = self.scope if branch is None else Scope(str(branch))
        return dataclasses.replace(self, period=period or self.period, filters=dict(filters or {}),
                                   scope=scope, out_dir=None, summary={})

    def branches(self) -> list[tuple[str, str]]:
        """(code, name) of every branch of the source (SPEC §6.2: a code found on parts, labour or
        clocking lines or in `branches`), by code; the name is "" where `branches` gives none. Empty
        for a source without a `branch` column (one dealer)."""
        names = branch_names(self.source)
        return [(code, names.get(code, "")) for code in branches_found(self.source)]

    @property
    def dates_text(self) -> str:
        """The period's first and last days: "01 Mar 2024 to 31 Mar 2024" (the subject of the run's emails)."""
        return f"{self.period.start:%d %b %Y} to {self.period.end:%d %b %Y}"

    @property
    def period_text(self) -> str:
        return (self.dates_text + f" · as of {self.period.as_of:%d %b %Y}"
                + (f" · {self.scope_text}" if self.scope_text else ""))

    @functools.cached_property
    def scope_text(self) -> str:
        """A branch's scope in words: "branch 03 Harrogate", its code and then its name from `branches` when it
        has one, as the branch's landing page names it, on one line (it ends the period's text and the subject
        of the branch's emails). Empty for the group."""
        if self.scope.is_group:
            return ""
        name = one_line(branch_names(self.source).get(self.scope.branch, ""))
        return self.scope.label + (f" {name}" if name else "")

    # ------------------------------------------------------------ outputs
    def save(self, item: Grid | pd.DataFrame, name: str | None = None) -> None:
        """Write a grid's data rows (never the totals row) to tables/<report>/<name>.csv."""
        if self.out_dir is None:
            return
        rows = item.rows if isinstance(item, Grid) else item
        name = name or (item.name if isinstance(item, Grid) else None)
        path = self.out_dir / "tables" / self.report / f"{name}.csv"
        write_csv(rows, path)

    def save_file(self, rows: pd.DataFrame, relative: str) -> None:
        """Write a table to a file of the run folder (alerts.csv); nothing outside a run."""
        if self.out_dir is not None:
            write_csv(rows, self.out_dir / relative)

    def save_all(self, grids: dict[str, Grid]) -> None:
        for name, g in grids.items():
            self.save(g, name)

    def record(self, **values: Any) -> None:
        """Figures the landing page and the manifest show (tiles, data-quality counts)."""
        self.summary.update(values)
        if self.out_dir is None:
            return
        path = self.out_dir / "summaries" / f"{self.report}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(_no_nan(self.summary), indent=2, default=_json_default, allow_nan=False),
                        encoding="utf-8")


def _no_nan(value: Any) -> Any:
    """Empty ratios (NaN) become JSON null."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_no_nan(v) for v in value]
    return value


def _json_default(value: Any):
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def code_descriptions(source: Source) -> dict[str, dict[str, str]]:
    """kind → code → description of the source's optional `codes` table (SPEC §6.1); empty without it."""
    if not source.has("codes"):
        return {}
    rows = query(source.table("codes"), "SELECT kind, code, description FROM lines "
                                        "WHERE description IS NOT NULL ORDER BY kind, code")
    out: dict[str, dict[str, str]] = {}
    for kind, code, text in rows.itertuples(index=False):
        out.setdefault(str(kind), {})[str(code)] = str(text)
    return out


def start(
    report: str,
    *,
    source: str = "",
    date_from: str = "",
    date_to: str = "",
    period: str = "",
    as_of: str = "",
    params_file: str = "",
    out_dir: str = "",
    interactive: bool = False,
    branch: str = "",
) -> Context:
    """Check a notebook's parameters and open its data; errors name the bad parameter."""
    if report not in REPORTS:
        raise ValueError(f"unknown report {report!r}; choose one of {', '.join(REPORTS)}")
    day = parse_date(as_of, "as_of") if as_of else dt.date.today()
    the_period = resolve(period or None, as_of=day, date_from=date_from or None, date_to=date_to or None)
    settings = params_module.load(params_file or None)
    if not source:
        from aftersales.source import demo

        source = str(demo.ensure(day))
    from aftersales import present

    present.use_settings(settings)
    ctx = Context(
        report=report,
        period=the_period,
        params=settings,
        source=Source.open(source, settings),
        out_dir=Path(out_dir) if out_dir else None,
        interactive=bool(interactive),
        scope=Scope(str(branch)),
    )
    from aftersales.present.tables import use_codes

    use_codes(code_descriptions(ctx.source))  # the pages show descriptions beside codes; CSVs keep codes
    return ctx
