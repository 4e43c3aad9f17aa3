"""The lists of the Workshop report: the clock history, and the data-quality lists of clockings
and labour lines (open clockings, clockings without a line, idle without a flag, lines without
a technician, invoiced lines without a date).

Each list is ordered in SQL (clockings by technician and time) and shows clock times as
`YYYY-MM-DD HH:MM` text; `build` takes the first rows of each (`grids.capped`).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from aftersales.reports.formulas import ALLOWED_HOURS, INVOICED, TAKEN_HOURS, tidy
from aftersales.reports.grids import Lines, joined, query, relation, sql_date
from aftersales.reports.workshop_hours import _NO_FLAG, HAS_TECHNICIAN, _clocking_states, _counted_lines

#: The columns of the clock history.
HISTORY_COLUMNS = ("technician", "name", "in", "wip_no", "line", "description", "out", "reason",
                   "hours", "allowed", "taken")


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
