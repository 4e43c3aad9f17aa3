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
    invoiced_ratios,
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
    "KPIS", "MEASURES", "ON_JOB", "RATIO_COLUMNS", "TILE_RATIOS", "UTIL_NOTE", "WorkshopReport", "build", "charted",
    "clocking_hours", "clockings_without_line", "headline", "history", "idle_without_flag", "landing_tile",
    "line_hours", "lines_without_technician", "open_clockings", "prior_ratios", "productivity", "target_lines",
    "technician_names", "technicians", "tiles", "undated_invoiced_lines",
]

#: How the report's own columns are shown (present.display reads it).
DISPLAY = {"hours": ("hours",), "labels": {"in": "In", "out": "Out", "line": "Line"}}


UTIL_NOTE = (
    "How to read the three ratios: utilisation (Util%) is the share of the hours the technicians were "
    "at work that went into the jobs invoiced in the period; efficiency (Effi%) compares the hours sold "
    "on those jobs with the hours they took (above 100 % the jobs were done in less time than was sold); "
    "productivity (Pro%) is the hours sold for every hour at work, and equals Util% × Effi% ÷ 100. The "
    "tiles compare each ratio with the same dates a year earlier (green when it rose, red when it fell) "
    "and with its target."
)

#: The ratios the tiles compare with the prior year and their targets (setting `workshop_targets`).
TILE_RATIOS = (("pro_pct", "productivity", "Workshop productivity (Pro%)"),
               ("util_pct", "utilisation", "Utilisation (Util%)"),
               ("effi_pct", "efficiency", "Efficiency (Effi%)"))

KPIS = {
    "Line hours": "the hours a labour line counts for a technician: time units × minutes per unit ÷ 60 × the "
    "technician's share of the line in % ÷ 100 (a line split between technicians credits each its share; "
    "60-minute units are hours, 6-minute units tenths)",
    "Clocking hours": "clock-out − clock-in; a clocking counts whole on the day of its clock-in (one "
    "across midnight belongs to the day it started); a clocking not yet clocked off counts nowhere",
    "Open": "allowed hours of the technician's lines raised before the first day and not invoiced "
    "before it (un-invoiced, or invoiced on or after the first day)",
    "Close": "allowed hours of the technician's lines raised on or before the last day and not "
    "invoiced by it (un-invoiced, or invoiced after the last day)",
    "Direct": "hours clocked to jobs (a clocking that names a job)",
    "Indirect": "hours clocked to productive idle codes (such as training or cleaning the workshop)",
    "Idle": "hours clocked to non-productive idle codes (and idle codes not marked either way)",
    "Attended": "the hours at work: Direct + Indirect + Idle",
    "Allowed": "hours sold: the allowed hours of the technician's lines invoiced in the period",
    "Taken": "the hours those lines took",
    "Charged": "the labour money of those lines: Net (Gross − discount), each technician's share",
    "Idle%": "share of the hours at work lost to non-productive idle: Idle ÷ Attended × 100",
    "Util%": "utilisation, the share of the hours at work spent on the invoiced jobs: Taken ÷ Attended × 100",
    "Effi%": "efficiency, hours sold per hour taken on the jobs: Allowed ÷ Taken × 100 (above 100: jobs done "
    "in less time than was sold)",
    "Pro%": "productivity, hours sold per hour at work: Allowed ÷ Attended × 100 = Util% × Effi% ÷ 100",
    "vs prior year": "a tile's ratio − the same ratio over the same dates a year earlier, in percentage points "
    "(pts); green when it rose, red when it fell. The prior year's ratios come from its summed hours, "
    "from the lines invoiced and the clockings of those dates",
    "vs target": "a tile's ratio − its target in the settings (workshop_targets), in percentage points",
    "Totals": "the totals row sums the hours and money; its percentages are ratios of the summed hours",
    "Empty ratios": "a ratio whose denominator is 0 is empty, not 0",
    "After as-of": "lines raised after as-of are ignored; a line invoiced after as-of is still work in "
    "progress; a clocking not clocked off by the end of as-of counts nowhere",
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
    head |= prior_ratios(labour, clockings, period.prior())
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
        tiles=[landing_tile(head)],
        rows={"read": read, "used": read - set_aside, "set_aside": set_aside},
        quality=quality.checks,
    )
    chart, scope = charted(grid.rows)
    return WorkshopReport({"technicians": grid}, hist, quality, head, targets, notes, chart, scope)


def prior_ratios(labour, clockings, prior) -> dict[str, float]:
    """Util%, Effi% and Pro% over the `prior` period (the tiles' prior year) as `util_pct_prior`,
    `effi_pct_prior`, `pro_pct_prior` (`invoiced_ratios`)."""
    found = invoiced_ratios(labour, clockings, prior.start, prior.last, prior.as_of)
    return {f"{c}_prior": v for c, v in found.items()}


def tiles(head: dict) -> list[dict]:
    """The Workshop headline tiles: Pro% first (the landing page's), then Util%, Effi%, hours.

    Each ratio shows its change against the same dates a year earlier (coloured: a rise is good)
    and, in a second plain line, against its target; a headline without prior-year figures (the
    analyst's filtered view) shows the target alone, one whose prior year has none says so."""
    targets = head.get("targets", {})
    out = []
    for column, target_name, title in TILE_RATIOS:
        value = head[column]
        tile = {"label": title, "value": value, "kind": "ratio"}
        if f"{column}_prior" in head:
            before = head[f"{column}_prior"]
            if value != value or before != before:
                tile["change_text"] = "no prior-year figure"
            else:
                tile |= {"change": value - before, "change_text": f"{value - before:+.1f} pts vs prior year"}
        target = targets.get(target_name)
        if target is not None:
            tile["target_text"] = (f"target {target:g} %" if value != value
                                   else f"{value - target:+.1f} pts vs target {target:g} %")
        out.append(tile)
    return [*out,
            {"label": "Hours attended", "value": head["attended"], "kind": "hours"},
            {"label": "Hours sold", "value": head["allowed"], "kind": "hours"},
            {"label": "Labour charged", "value": head["charged"], "kind": "money"}]


def landing_tile(head: dict) -> dict:
    """The Pro% tile of the landing page, which shows one line under a figure: the change vs the
    prior year (coloured) and the target."""
    tile = dict(tiles(head)[0])
    tile.pop("target_text", None)
    target = head.get("targets", {}).get("productivity")
    if target is not None:
        tile["change_text"] = " · ".join(t for t in (tile.get("change_text", ""), f"target {target:g} %") if t)
    return tile


def target_lines(targets: dict) -> dict[str, float]:
    """The chart's target lines, named as the ratios they apply to."""
    names = {"utilisation": "Util%", "efficiency": "Effi%", "productivity": "Pro%"}
    return {names.get(k, k): v for k, v in targets.items()}
