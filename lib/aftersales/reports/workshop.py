"""The Workshop report (SPEC §3 "Workshop"): technicians' hours and ratios, pure functions.

- `workshop_hours`: where each line's and clocking's hours count, and the technicians grid;
- `workshop_lists`: the clock history and the data-quality lists;
- here: the report a notebook or a run builds (`build`), its tiles and its KPI dictionary.

Every name of those modules that a notebook, a view or a test uses is reachable here as
`workshop.<name>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from aftersales.reports.formulas import tidy
from aftersales.reports.grids import Grid, capped, top_rows
from aftersales.reports.quality import DataQuality
from aftersales.reports.workshop_hours import (
    COLUMNS,
    HAS_TECHNICIAN,
    HOUR_COLUMNS,
    MEASURES,
    ON_JOB,
    RATIO_COLUMNS,
    _clocking_sums,
    _closed_hours,
    _codes,
    _line_sums,
    _technicians,
    _with_technician,
    clocking_hours,
    line_hours,
    productivity,
    technician_names,
    technicians,
)
from aftersales.reports.workshop_lists import (
    CLOCK_ORDER,
    HISTORY_COLUMNS,
    _history,
    _no_flag_list,
    _no_technician_list,
    _open_list,
    _stamps,
    _undated_list,
    _without_line_list,
    clockings_without_line,
    history,
    idle_without_flag,
    lines_without_technician,
    open_clockings,
    undated_invoiced_lines,
)

__all__ = [
    "CHART_TECHNICIANS", "CLOCK_ORDER", "COLUMNS", "DISPLAY", "HAS_TECHNICIAN", "HISTORY_COLUMNS", "HOUR_COLUMNS",
    "KPIS", "MEASURES", "ON_JOB", "RATIO_COLUMNS", "UTIL_NOTE", "WorkshopReport", "build", "charted",
    "clocking_hours", "clockings_without_line", "headline", "history", "idle_without_flag", "line_hours",
    "lines_without_technician", "open_clockings", "productivity", "target_lines", "technician_names",
    "technicians", "tiles", "undated_invoiced_lines",
]

#: How the report's own columns are shown (present.display reads it).
DISPLAY = {"hours": ("hours",), "labels": {"in": "In", "out": "Out", "line": "Line"}}


UTIL_NOTE = (
    "Util% is Taken ÷ Attended × 100: the hours taken on the lines invoiced in the period per hour "
    "the technician was attended (clocked on jobs, productive idle and non-productive idle). The "
    "source screen prints “Util% = Taken / Charged × 100”, which divides hours by money and so has "
    "no meaning as a percentage; the workbook uses attended hours, the industry's definition, which is "
    "also the only one for which Pro% = Util% × Effi% ÷ 100 is the hours sold per hour attended."
)

KPIS = {
    "Line hours": "time units × minutes per unit ÷ 60 × contribution ÷ 100 (a line split between "
    "technicians credits each its share; 60-minute units are hours, 6-minute units tenths)",
    "Clocking hours": "clock-out − clock-in; a clocking counts whole on the day of its clock-in (one "
    "across midnight belongs to the day it started); an open clocking counts nowhere",
    "Open": "allowed hours of the technician's lines raised before the first day and not invoiced "
    "before it (un-invoiced, or invoiced on or after the first day)",
    "Close": "allowed hours of the technician's lines raised on or before the last day and not "
    "invoiced by it (un-invoiced, or invoiced after the last day)",
    "Direct": "hours clocked to jobs (a WIP number on the clocking)",
    "Indirect": "hours clocked to productive idle codes",
    "Idle": "hours clocked to non-productive idle codes (and idle codes without a productive flag)",
    "Attended": "Direct + Indirect + Idle",
    "Allowed": "allowed hours of the technician's lines invoiced in the period (hours sold)",
    "Taken": "taken hours of those lines",
    "Charged": "Net labour value of those lines (Gross − discount, credited by contribution)",
    "Idle%": "Idle ÷ Attended × 100",
    "Util%": "Taken ÷ Attended × 100 (utilisation; see the note on the source screen's formula)",
    "Effi%": "Allowed ÷ Taken × 100 (efficiency)",
    "Pro%": "Allowed ÷ Attended × 100 (productivity) = Util% × Effi% ÷ 100 wherever both exist",
    "Totals": "the totals row sums the hours and money; its percentages are ratios of the summed hours",
    "Empty ratios": "a ratio whose denominator is 0 is empty, not 0",
    "After as-of": "lines raised after as-of are ignored; a line invoiced after as-of is still work in "
    "progress; a clocking not clocked off by the end of as-of is open",
}


#: The most technicians a chart draws (the technicians grid holds every one).
CHART_TECHNICIANS = 40


def charted(rows: pd.DataFrame, top: int = CHART_TECHNICIANS) -> tuple[pd.DataFrame, str]:
    """The technicians the charts draw (`grids.top_rows`): those with the most attended hours,
    in the grid's order (by code)."""
    return top_rows(rows, "attended", "technician", top, "with the most attended hours")


@dataclass
class WorkshopReport:
    grids: dict[str, Grid]
    history: pd.DataFrame
    quality: "DataQuality"
    headline: dict
    targets: dict
    notes: list[str] = field(default_factory=list)
    #: the technicians the charts draw (see `charted`) and the words their titles add
    chart: pd.DataFrame = field(default_factory=pd.DataFrame)
    chart_scope: str = ""


def headline(total: pd.DataFrame, targets: dict) -> dict:
    row = total.iloc[0]
    head = {c: float(row[c]) for c in (*MEASURES, *RATIO_COLUMNS)}
    head["targets"] = dict(targets)
    return head


def build(ctx) -> WorkshopReport:
    """The Workshop report for the context's period, saved as CSV when a run asks.

    Every sum and count runs in SQL; the data-quality lists and the clock history bring at most
    `report.drilldown_rows` rows each (their counts are of every row).
    """
    period = ctx.period
    start, last, as_of = period.start, period.last, period.as_of
    limit = int(ctx.params["report"]["drilldown_rows"])
    labour = ctx.table("labour_lines")
    clockings = ctx.table("clockings")
    line_sums = _line_sums(labour, start, last, as_of)
    clock_sums = _clocking_sums(clockings, start, last, as_of) if clockings is not None else None
    grid = _technicians(_with_technician(line_sums), None if clock_sums is None else _closed_hours(clock_sums),
                        technician_names(clockings, as_of, _codes(line_sums, clock_sums), since=start))
    targets = {k: float(v) for k, v in ctx.params["workshop_targets"].items()}
    head = headline(grid.total, targets)
    prior = period.prior()
    head["pro_pct_prior"] = productivity(labour, clockings, prior.start, prior.last, prior.as_of)
    notes = [UTIL_NOTE]

    quality = DataQuality()
    lines_read = int(line_sums["n"].sum())
    no_tech_rows = int(line_sums.loc[line_sums["technician"].isna(), "n"].sum())
    no_tech, _ = capped(*_no_technician_list(labour, start, last, as_of), limit, no_tech_rows)
    no_tech = tidy(no_tech, ["allowed", "taken", "charged"])
    quality.add("labour lines in Open, Close or invoiced in the period", lines_read, "read")
    quality.add("labour lines without a technician", no_tech_rows,
                "set aside: not in the technicians grid (still in the Labour report when invoiced)", no_tech)
    undated, undated_rows = capped(*_undated_list(labour, as_of), limit)
    quality.add("invoiced labour lines without date_edit", undated_rows,
                "counted nowhere: the day they were invoiced is unknown", undated)
    read, set_aside = lines_read, no_tech_rows
    if clockings is not None:
        clock_read, opened_rows = int(clock_sums["n"].sum()), int(clock_sums["opened"].sum())
        opened, _ = capped(*_open_list(clockings, start, last, as_of), limit, opened_rows)
        no_line, no_line_rows = capped(*_without_line_list(labour, clockings, start, last, as_of), limit)
        no_flag, no_flag_rows = capped(*_no_flag_list(clockings, start, last, as_of), limit,
                                       int(clock_sums["no_flag"].sum()))
        quality.add("clockings with clock-in in the period", clock_read, "read")
        quality.add("open clockings (no clock-out by the end of as-of)", opened_rows,
                    "set aside: counted nowhere", _stamps(opened))
        quality.add("clockings to jobs that have no labour line", no_line_rows,
                    "counted in Direct; listed here", _stamps(tidy(no_line, ["hours"])))
        quality.add("idle clockings without a productive flag", no_flag_rows,
                    "counted in Idle (non-productive); listed here", _stamps(tidy(no_flag, ["hours"])))
        read += clock_read
        set_aside += opened_rows
        hist = _history(labour, clockings, start, last, as_of, limit)
        if clock_read > limit:
            notes.append(f"The clock history shows the first {limit:,} of {clock_read:,} clockings "
                         "(by technician and time); every clocking counts in the technicians grid.")
        hist.attrs["rows"] = clock_read
    else:
        notes.append("The source has no clockings table: the clock history and attended hours need it.")
        hist = pd.DataFrame(columns=list(HISTORY_COLUMNS))
    for check in quality.checks:  # each list holds its first rows; the check counts them all
        if check["check"] in quality.details:
            quality.details[check["check"]].attrs["rows"] = check["rows"]
    ctx.save(grid, "technicians")
    ctx.record(
        headline=head,
        tiles=tiles(head)[:1],
        rows={"read": read, "used": read - set_aside, "set_aside": set_aside},
        quality=quality.checks,
    )
    chart, scope = charted(grid.rows)
    return WorkshopReport({"technicians": grid}, hist, quality, head, targets, notes, chart, scope)


def tiles(head: dict) -> list[dict]:
    """The Workshop headline tiles: Pro% first (the landing page's), then Util%, Effi%, hours."""
    targets = head.get("targets", {})

    def against(value: float, name: str) -> dict:
        target = targets.get(name)
        if target is None or value != value:
            return {}
        return {"change": value - target, "change_text": f"{value - target:+.1f} pts vs target {target:g} %"}

    def against_prior(value: float) -> dict:
        before = head.get("pro_pct_prior", float("nan"))
        target = targets.get("productivity")
        target_text = f" · target {target:g} %" if target is not None else ""
        if value != value or before != before:
            return {"change_text": f"no prior-year figure{target_text}"}
        return {"change": value - before, "change_text": f"{value - before:+.1f} pts vs prior year{target_text}"}

    return [
        {"label": "Workshop productivity (Pro%)", "value": head["pro_pct"], "kind": "ratio",
         **against_prior(head["pro_pct"])},
        {"label": "Utilisation (Util%)", "value": head["util_pct"], "kind": "ratio",
         **against(head["util_pct"], "utilisation")},
        {"label": "Efficiency (Effi%)", "value": head["effi_pct"], "kind": "ratio",
         **against(head["effi_pct"], "efficiency")},
        {"label": "Hours attended", "value": head["attended"], "kind": "hours"},
        {"label": "Hours sold", "value": head["allowed"], "kind": "hours"},
        {"label": "Labour charged", "value": head["charged"], "kind": "money"},
    ]


def target_lines(targets: dict) -> dict[str, float]:
    """The chart's target lines, named as the ratios they apply to."""
    names = {"utilisation": "Util%", "efficiency": "Effi%", "productivity": "Pro%"}
    return {names.get(k, k): v for k, v in targets.items()}
