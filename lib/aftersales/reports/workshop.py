"""The Workshop report (SPEC §3 "Workshop"): technicians' hours and ratios, pure functions.

Two sources of hours meet per technician:

- labour lines: Open, Close (work in progress at the period's edges), and Allowed, Taken,
  Charged of the lines invoiced in the period — each line's hours credited by its
  contribution (time units × minutes_per_unit / 60 × contribution / 100);
- clockings: Direct (to jobs), Indirect (productive idle codes), Idle (non-productive idle),
  each clocking counted whole on the day of its clock-in.

Data after `as_of` never counts: a line raised after it is ignored, a line invoiced after it
is still work in progress, and a clocking still open at the end of `as_of` is an open
clocking (it counts nowhere and is listed in data quality).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from aftersales.reports.formulas import ALLOWED_HOURS, INVOICED, LABOUR_LINE, TAKEN_HOURS, ratio, tidy
from aftersales.reports.grids import Grid, Lines, capped, joined, query, relation, sql_date, sum_total, top_rows
from aftersales.run.context import DataQuality

HOUR_COLUMNS = ("open", "close", "direct", "indirect", "idle", "attended", "allowed", "taken")
MEASURES = (*HOUR_COLUMNS, "charged")
RATIO_COLUMNS = ("idle_pct", "util_pct", "effi_pct", "pro_pct")
#: The CSV columns of tables/workshop/technicians.csv (SPEC §5), after the key.
COLUMNS = ("name", *MEASURES, *RATIO_COLUMNS)
HISTORY_COLUMNS = ("technician", "name", "in", "wip_no", "line", "description", "out", "reason",
                   "hours", "allowed", "taken")

#: How the report's own columns are shown (present.display reads it).
DISPLAY = {"hours": ("hours",), "labels": {"in": "In", "out": "Out", "line": "Line"}}

_FILLED = "COALESCE({0}, '') <> ''"
ON_JOB = _FILLED.format("wip_no")
HAS_TECHNICIAN = _FILLED.format("technician")


def _ts(day: dt.date) -> str:
    return f"TIMESTAMP '{day.isoformat()} 00:00:00'"


def _line_states(start: dt.date, last: dt.date, as_of: dt.date) -> str:
    """SELECT over labour lines adding each line's hours and where it counts in the period.

    `inv` is the day the line was invoiced as known at as_of (NULL while work in progress);
    an invoiced line with no date_edit has `undated` set and counts nowhere.
    """
    inv = f"CASE WHEN {INVOICED} AND date_edit <= {sql_date(as_of)} THEN date_edit END"
    return (
        f"SELECT *, ({ALLOWED_HOURS}) AS allowed_h, ({TAKEN_HOURS}) AS taken_h, "
        f"({LABOUR_LINE['net']}) AS net_v, "
        f"({INVOICED} AND date_edit IS NULL) AS undated, "
        f"(date_created < {sql_date(start)} AND (inv IS NULL OR inv >= {sql_date(start)})) AS in_open, "
        f"(date_created <= {sql_date(last)} AND (inv IS NULL OR inv > {sql_date(last)})) AS in_close, "
        f"(inv BETWEEN {sql_date(start)} AND {sql_date(last)}) AS in_period "
        f"FROM (SELECT *, {inv} AS inv FROM lines WHERE date_created <= {sql_date(as_of)} "
        # a line invoiced before the first day counts nowhere: left out before its hours are
        # computed, by a test on date_edit that the engine answers from the file's statistics
        f"AND (date_edit >= {sql_date(start)} OR date_edit IS NULL OR NOT ({INVOICED}))) "
    )


def _counted_lines(start: dt.date, last: dt.date, as_of: dt.date) -> str:
    """The lines that count in Open, Close or Allowed (before the technician is checked)."""
    return (
        f"SELECT * FROM ({_line_states(start, last, as_of)}) "
        "WHERE NOT undated AND (in_open OR in_close OR COALESCE(in_period, false))"
    )


def _line_sums(labour: Lines, start: dt.date, last: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Open, Close, Allowed, Taken, Charged and the number of lines (`n`) per technician, in one
    pass; the lines that name no technician make the row whose technician is empty."""
    return query(
        labour,
        f"SELECT CASE WHEN {HAS_TECHNICIAN} THEN technician END AS technician, COUNT(*) AS n, "
        "SUM(CASE WHEN in_open THEN allowed_h ELSE 0 END) AS open, "
        "SUM(CASE WHEN in_close THEN allowed_h ELSE 0 END) AS close, "
        "SUM(CASE WHEN in_period THEN allowed_h ELSE 0 END) AS allowed, "
        "SUM(CASE WHEN in_period THEN taken_h ELSE 0 END) AS taken, "
        "SUM(CASE WHEN in_period THEN net_v ELSE 0 END) AS charged "
        f"FROM ({_counted_lines(start, last, as_of)}) GROUP BY 1",
    )


def _with_technician(sums: pd.DataFrame) -> pd.DataFrame:
    return sums[sums["technician"].notna()].drop(columns="n").reset_index(drop=True)


def line_hours(labour: Lines, start: dt.date, last: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Open, Close, Allowed, Taken and Charged per technician (lines with a technician only)."""
    return _with_technician(_line_sums(labour, start, last, as_of))


def _clocking_states(start: dt.date, last: dt.date, as_of: dt.date) -> str:
    """Clockings whose clock-in day is in the period, with their hours and their kind.

    A clocking with no clock-out, or clocked off after the end of as_of, is `open`.
    """
    after = _ts(as_of + dt.timedelta(days=1))
    return (
        "SELECT *, (clock_out IS NULL OR clock_out >= " + after + ") AS open_clocking, "
        "CASE WHEN clock_out IS NOT NULL THEN (epoch(clock_out) - epoch(clock_in)) / 3600.0 END AS hours, "
        f"CASE WHEN {ON_JOB} THEN 'direct' WHEN idle_productive THEN 'indirect' ELSE 'idle' END AS kind "
        f"FROM lines WHERE clock_in >= {_ts(start)} AND clock_in < {_ts(last + dt.timedelta(days=1))}"
    )


#: The period's closed idle clockings whose productive flag is empty (counted as Idle).
_NO_FLAG = f"NOT open_clocking AND NOT ({ON_JOB}) AND idle_productive IS NULL"


def _clocking_sums(clockings: Lines, start: dt.date, last: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Direct, Indirect and Idle hours per technician, in one pass with the counts of its
    clockings in the period (`n`), closed (`closed`), open (`opened`) and idle without a flag."""
    sums = ", ".join(f"SUM(CASE WHEN kind = '{k}' AND NOT open_clocking THEN hours ELSE 0 END) AS {k}"
                     for k in ("direct", "indirect", "idle"))
    return query(
        clockings,
        f"SELECT technician, {sums}, COUNT(*) AS n, COUNT(*) FILTER (WHERE NOT open_clocking) AS closed, "
        f"COUNT(*) FILTER (WHERE open_clocking) AS opened, COUNT(*) FILTER (WHERE {_NO_FLAG}) AS no_flag "
        f"FROM ({_clocking_states(start, last, as_of)}) GROUP BY technician",
    )


def _closed_hours(sums: pd.DataFrame) -> pd.DataFrame:
    """The technicians with a closed clocking, with their hours (as `clocking_hours`)."""
    return sums[sums["closed"] > 0][["technician", "direct", "indirect", "idle"]].reset_index(drop=True)


def clocking_hours(clockings: Lines, start: dt.date, last: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Direct, Indirect and Idle hours per technician from the period's closed clockings.

    An idle clocking whose productive flag is empty counts as Idle (non-productive).
    """
    return _closed_hours(_clocking_sums(clockings, start, last, as_of))


def technician_names(clockings: Lines | None, as_of: dt.date, wanted: Iterable[str] | None = None,
                     since: dt.date | None = None) -> dict[str, str]:
    """Each technician's name: the technician_name of its latest clocking up to as_of.

    With `wanted` and `since`, the names of the `wanted` technicians: first from the clockings
    since `since` (the engine reads only those), then from all clockings for those who have
    none since then."""
    if clockings is None:
        return {}
    latest = ("SELECT technician, arg_max(technician_name, clock_in) AS name FROM lines "
              f"WHERE clock_in < {_ts(as_of + dt.timedelta(days=1))}")
    if wanted is None or since is None:
        frame = query(clockings, f"{latest} GROUP BY technician")
        return dict(zip(frame["technician"], frame["name"]))
    wanted = {t for t in wanted if isinstance(t, str)}
    frame = query(clockings, f"{latest} AND clock_in >= {_ts(since)} GROUP BY technician")
    names = {t: n for t, n in zip(frame["technician"], frame["name"]) if t in wanted}
    older = sorted(wanted - set(names))
    if older:
        listed = ", ".join("'" + t.replace("'", "''") + "'" for t in older)
        frame = query(clockings, f"{latest} AND technician IN ({listed}) GROUP BY technician")
        names.update(zip(frame["technician"], frame["name"]))
    return names


def _ratios(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["attended"] = frame["direct"] + frame["indirect"] + frame["idle"]
    frame = tidy(frame, list(MEASURES))
    frame["idle_pct"] = ratio(frame["idle"], frame["attended"])
    frame["util_pct"] = ratio(frame["taken"], frame["attended"])
    frame["effi_pct"] = ratio(frame["allowed"], frame["taken"])
    frame["pro_pct"] = ratio(frame["allowed"], frame["attended"])
    return frame


def technicians(labour: Lines, clockings: Lines | None, start: dt.date, last: dt.date, as_of: dt.date) -> Grid:
    """The technicians grid: a row per technician with any figure in the period, sorted by code.

    A technician with labour lines but no clocking up to as_of has an empty name.
    """
    lines = line_hours(labour, start, last, as_of)
    clocked = clocking_hours(clockings, start, last, as_of) if clockings is not None else None
    return _technicians(lines, clocked, technician_names(clockings, as_of, _codes(lines, clocked), since=start))


def _codes(*frames: pd.DataFrame | None) -> set[str]:
    """The technicians named in the frames' `technician` columns."""
    return {t for frame in frames if frame is not None for t in frame["technician"].dropna()}


def productivity(labour: Lines, clockings: Lines | None, start: dt.date, last: dt.date, as_of: dt.date) -> float:
    """Pro% of every technician together (the technicians grid's total), from the lines
    invoiced in the period only: Allowed counts no other line, and Open and Close, which
    need every line ever created, are not wanted here (the prior year's tile)."""
    invoiced = relation(labour).filter(f"date_edit BETWEEN {sql_date(start)} AND {sql_date(last)}")
    clocked = clocking_hours(clockings, start, last, as_of) if clockings is not None else None
    total = _technicians(line_hours(invoiced, start, last, as_of), clocked, {}).total
    return float(total["pro_pct"].iloc[0]) if total is not None and len(total) else float("nan")


def _technicians(lines: pd.DataFrame, clocked: pd.DataFrame | None, names: dict[str, str]) -> Grid:
    """The technicians grid from the line hours and the clocking hours (None: no clockings table)."""
    if clocked is None:
        clocked_frame = pd.DataFrame({"technician": pd.Series([], dtype="object")})
    else:
        clocked_frame = clocked
    frame = lines.merge(clocked_frame, on="technician", how="outer")
    for col in ("open", "close", "allowed", "taken", "charged", "direct", "indirect", "idle"):
        if col not in frame:
            frame[col] = 0.0
        frame[col] = frame[col].astype("float64").fillna(0.0)
    frame = frame.sort_values("technician", kind="stable").reset_index(drop=True)
    frame.insert(1, "name", frame["technician"].map(names).astype("object"))
    frame = _ratios(frame)
    total = _ratios(sum_total(frame, [c for c in MEASURES if c != "attended"]))
    grid = Grid("technicians", frame[["technician", *COLUMNS]], total[[*MEASURES, *RATIO_COLUMNS]], ("technician",))
    if clocked is None:
        grid.notes.append("The source has no clockings: Direct, Indirect, Idle and Attended are 0 "
                          "and the ratios over attended hours are empty.")
    return grid


def history(labour: Lines, clockings: Lines, start: dt.date, last: dt.date, as_of: dt.date) -> pd.DataFrame:
    """The clock history (the source's resource lines): every clocking whose clock-in day is in
    the period, by technician and time, with the job line's allowed and taken hours for that
    technician (repeated on each clocking to the same line). Open clockings show no Out."""
    return _history(labour, clockings, start, last, as_of)


#: The order of every list of clockings: by technician and time (the rest only breaks ties).
CLOCK_ORDER = "technician, clock_in, clock_out NULLS LAST, wip_no NULLS FIRST, line_no NULLS FIRST"


def _history(labour: Lines, clockings: Lines, start: dt.date, last: dt.date, as_of: dt.date,
             limit: int | None = None) -> pd.DataFrame:
    """The clock history, or its first `limit` clockings: the job lines' hours are summed in SQL
    for the jobs, lines and technicians of the clockings listed only."""
    cap = "" if limit is None else f" LIMIT {int(limit)}"
    clocks = relation(clockings).query(
        "lines",
        "SELECT technician, technician_name AS name, clock_in, wip_no, line_no, idle_code, "
        f"description, clock_out, reason, hours, open_clocking FROM ({_clocking_states(start, last, as_of)}) "
        f"ORDER BY {CLOCK_ORDER}{cap}",
    )
    keys = clocks.query("lines", "SELECT DISTINCT wip_no AS key_wip, line_no AS key_line, technician AS key_tech "
                                 "FROM lines WHERE wip_no IS NOT NULL AND line_no IS NOT NULL")
    raised = relation(labour).query(
        "lines",
        f"SELECT wip_no, line_no, technician, ({ALLOWED_HOURS}) AS allowed_h, ({TAKEN_HOURS}) AS taken_h "
        f"FROM lines WHERE date_created <= {sql_date(as_of)}",
    )
    same = "wip_no = {0}_wip AND line_no = {0}_line AND technician = {0}_tech"
    shares = joined(raised, keys, same.format("key"), "semi").query(
        "lines",
        "SELECT wip_no AS share_wip, line_no AS share_line, technician AS share_tech, "
        "SUM(allowed_h) AS allowed, SUM(taken_h) AS taken FROM lines GROUP BY wip_no, line_no, technician",
    )
    frame = joined(clocks, shares, same.format("share"), "left").query(
        "lines",
        "SELECT technician, name, clock_in, wip_no, line_no, idle_code, description, clock_out, reason, hours, "
        f"open_clocking, allowed, taken FROM lines ORDER BY {CLOCK_ORDER}",
    ).df()
    frame["line_no"] = frame["line_no"].astype("Int64")
    opened = frame["open_clocking"].astype(bool)
    frame["clock_out"] = frame["clock_out"].where(~opened)
    frame["hours"] = frame["hours"].astype("float64").where(~opened)
    out = pd.DataFrame({
        "technician": frame["technician"],
        "name": frame["name"],
        "in": _stamp(frame["clock_in"]),
        "wip_no": frame["wip_no"],
        "line": frame["line_no"].map(lambda v: "" if pd.isna(v) else str(int(v))),
        "description": [_describe(d, c) for d, c in zip(frame["description"], frame["idle_code"])],
        "out": _stamp(frame["clock_out"]),
        "reason": frame["reason"],
        "hours": frame["hours"].astype("float64"),
        "allowed": frame["allowed"].astype("float64"),
        "taken": frame["taken"].astype("float64"),
    })
    return tidy(out, ["hours", "allowed", "taken"])


def _stamp(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.strftime("%Y-%m-%d %H:%M").fillna("").astype("object")


def _stamps(frame: pd.DataFrame) -> pd.DataFrame:
    """Clock-in and clock-out as `YYYY-MM-DD HH:MM` text (a listed time keeps its minutes)."""
    frame = frame.copy()
    for col in ("clock_in", "clock_out"):
        if col in frame:
            frame[col] = _stamp(frame[col])
    return frame


def _describe(description, idle_code) -> str:
    text = "" if description is None or pd.isna(description) else str(description)
    if idle_code is not None and not pd.isna(idle_code) and str(idle_code) != "":
        return f"{idle_code} · {text}" if text else str(idle_code)
    return text


# ---------------------------------------------------------------- data quality


def _open_list(clockings: Lines, start: dt.date, last: dt.date, as_of: dt.date) -> tuple[Lines, str]:
    return clockings, (
        "SELECT technician, technician_name AS name, clock_in, clock_out, wip_no, line_no, idle_code "
        f"FROM ({_clocking_states(start, last, as_of)}) WHERE open_clocking ORDER BY {CLOCK_ORDER}"
    )


def open_clockings(clockings: Lines, start: dt.date, last: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Clockings of the period still open at the end of as_of: they count nowhere."""
    return _stamps(query(*_open_list(clockings, start, last, as_of)))


def _without_line_list(labour: Lines, clockings: Lines, start: dt.date, last: dt.date,
                       as_of: dt.date) -> tuple[Lines, str]:
    """The period's closed job clockings anti-joined in SQL with the labour lines raised by as_of."""
    direct = relation(clockings).query(
        "lines",
        "SELECT technician, technician_name AS name, clock_in, clock_out, wip_no, line_no, hours "
        f"FROM ({_clocking_states(start, last, as_of)}) WHERE NOT open_clocking AND kind = 'direct'",
    )
    raised = relation(labour).query(
        "lines",
        f"SELECT wip_no AS known_wip, line_no AS known_line FROM lines WHERE date_created <= {sql_date(as_of)}",
    )
    jobs = direct.query("lines", "SELECT DISTINCT wip_no AS job FROM lines")
    known = joined(raised, jobs, "known_wip = job", "semi")  # the lines of those jobs only
    missing = joined(direct, known, "wip_no = known_wip AND (line_no IS NULL OR line_no = known_line)", "anti")
    return missing, f"SELECT * FROM lines ORDER BY {CLOCK_ORDER}"


def clockings_without_line(labour: Lines, clockings: Lines, start: dt.date, last: dt.date,
                           as_of: dt.date) -> pd.DataFrame:
    """The period's closed job clockings whose job (and line, when given) has no labour line
    raised by as_of. They still count in Direct."""
    return _stamps(tidy(query(*_without_line_list(labour, clockings, start, last, as_of)), ["hours"]))


def _no_flag_list(clockings: Lines, start: dt.date, last: dt.date, as_of: dt.date) -> tuple[Lines, str]:
    return clockings, (
        "SELECT technician, technician_name AS name, clock_in, clock_out, idle_code, description, hours "
        f"FROM ({_clocking_states(start, last, as_of)}) WHERE {_NO_FLAG} ORDER BY {CLOCK_ORDER}"
    )


def idle_without_flag(clockings: Lines, start: dt.date, last: dt.date, as_of: dt.date) -> pd.DataFrame:
    """The period's closed idle clockings whose productive flag is empty: counted as Idle."""
    return _stamps(tidy(query(*_no_flag_list(clockings, start, last, as_of)), ["hours"]))


def _no_technician_list(labour: Lines, start: dt.date, last: dt.date, as_of: dt.date) -> tuple[Lines, str]:
    return labour, (
        "SELECT wip_no, line_no, document, date_created, date_edit, in_open AS open, in_close AS close, "
        "COALESCE(in_period, false) AS invoiced_in_period, allowed_h AS allowed, taken_h AS taken, "
        f"net_v AS charged FROM ({_counted_lines(start, last, as_of)}) WHERE NOT ({HAS_TECHNICIAN}) "
        "ORDER BY wip_no, line_no, document NULLS FIRST, date_created"
    )


def lines_without_technician(labour: Lines, start: dt.date, last: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Lines that would count in Open, Close or Allowed but name no technician: set aside."""
    return tidy(query(*_no_technician_list(labour, start, last, as_of)), ["allowed", "taken", "charged"])


def _undated_list(labour: Lines, as_of: dt.date) -> tuple[Lines, str]:
    return labour, (
        f"SELECT wip_no, line_no, technician, document, date_created FROM lines WHERE {INVOICED} "
        f"AND date_edit IS NULL AND date_created <= {sql_date(as_of)} "
        "ORDER BY wip_no, line_no, technician NULLS FIRST, document"
    )


def undated_invoiced_lines(labour: Lines, as_of: dt.date) -> pd.DataFrame:
    """Invoiced lines (a document) with no date_edit: their invoice day is unknown."""
    return query(*_undated_list(labour, as_of))


# ---------------------------------------------------------------- the report

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
