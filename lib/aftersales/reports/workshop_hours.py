"""The hours of the Workshop report (SPEC §3 "Workshop"): where each labour line's and clocking's
hours count in the period, summed per technician into the technicians grid (pure functions).

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

import pandas as pd

from aftersales.reports.formulas import ALLOWED_HOURS, INVOICED, LABOUR_LINE, TAKEN_HOURS, ratio, tidy
from aftersales.reports.grids import Grid, Lines, query, relation, sql_date, sum_total

HOUR_COLUMNS = ("open", "close", "direct", "indirect", "idle", "attended", "allowed", "taken")
MEASURES = (*HOUR_COLUMNS, "charged")
RATIO_COLUMNS = ("idle_pct", "util_pct", "effi_pct", "pro_pct")
#: The CSV columns of tables/workshop/technicians.csv (SPEC §5), after the key.
COLUMNS = ("name", *MEASURES, *RATIO_COLUMNS)

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


def invoiced_ratios(labour: Lines, clockings: Lines | None, start: dt.date, last: dt.date,
                    as_of: dt.date) -> dict[str, float]:
    """Util%, Effi% and Pro% of every technician together (the technicians grid's totals row, ratios
    of the summed hours), from the lines invoiced in the period only: Allowed and Taken count no
    other line, and Open and Close, which need every line ever created, are not wanted here (the
    tiles' prior year). Empty (NaN) where a denominator is 0."""
    invoiced = relation(labour).filter(f"date_edit BETWEEN {sql_date(start)} AND {sql_date(last)}")
    clocked = clocking_hours(clockings, start, last, as_of) if clockings is not None else None
    total = _technicians(line_hours(invoiced, start, last, as_of), clocked, {}).total
    found = total is not None and len(total)
    return {c: float(total[c].iloc[0]) if found else float("nan") for c in ("util_pct", "effi_pct", "pro_pct")}


def productivity(labour: Lines, clockings: Lines | None, start: dt.date, last: dt.date, as_of: dt.date) -> float:
    """Pro% of every technician together, from the lines invoiced in the period only (`invoiced_ratios`)."""
    return invoiced_ratios(labour, clockings, start, last, as_of)["pro_pct"]


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
