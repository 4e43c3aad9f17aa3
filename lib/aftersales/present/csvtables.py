"""The CSV tables of a run (SPEC §5): plain cells that a spreadsheet or a script reads as they are.

`.` decimals with six places and no separators, dates YYYY-MM-DD, empty cells for empty
values (an empty ratio, a missing name), True/False, quotes only where a cell needs them.

A text a spreadsheet program would run as a formula when it opens the file (one starting with
`=`, `+`, `-`, `@`, a tab or a carriage return, and not a plain number such as `-5`) is written
with a single quote before it (`neutral`: `=HYPERLINK("x")` is written `'=HYPERLINK("x")`);
numbers, dates and True/False are never touched. `restored` gives back the text a cell stands
for (the spreadsheet writer uses it: its cells are text, never formulas).

A table is written by DuckDB's CSV writer, each float cast to a six-place decimal: the
Accounts tables of a large month are 200,000 rows, which Python formats a float at a time
in a third of a second. A table the engine cannot write as such (a float too large for
the decimal, an infinity, a column of mixed objects) is written by the csv module instead,
cell for cell as `DataFrame.to_csv(float_format="%.6f", na_rep="")` would.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

#: Decimals written to CSV for every float (money, ratios, hours): plain, no separators.
CSV_FLOAT = "%.6f"
#: The largest float the engine writes (as DECIMAL(38, 6)); larger ones go the csv module's way.
_LARGEST = 1e30

#: A text that would start a formula: its first character after any leading quotes (a text that
#: already starts with quotes before such a character gets one more, so `restored` is exact) …
_FORMULA_START = r"^'*[=+\-@\t\r]"
#: … unless it is a plain number, which a spreadsheet reads as that number, not as a formula.
_PLAIN_NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
_STARTS_FORMULA = re.compile(_FORMULA_START)
_IS_PLAIN_NUMBER = re.compile(_PLAIN_NUMBER)
_NEUTRALISED = re.compile(r"^'+[=+\-@\t\r]")

_engine = threading.local()  # one in-memory connection per thread, made on first use


def neutral(text: str) -> str:
    """`text` as a CSV cell holds it: a `'` before it when a spreadsheet program would run it as a formula."""
    if _STARTS_FORMULA.match(text) and not _IS_PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def restored(text: str) -> str:
    """The text a CSV cell written by `neutral` stands for: its added `'` taken off."""
    return text[1:] if _NEUTRALISED.match(text) else text


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


#: `neutral` in SQL on the text column `{0}`; an empty text is an empty cell.
_NEUTRAL_SQL = ("CASE WHEN NOT regexp_matches({0}, " + _sql_literal(_FORMULA_START) + ") THEN NULLIF({0}, '') "
                "WHEN regexp_full_match({0}, " + _sql_literal(_PLAIN_NUMBER) + ") THEN {0} ELSE '''' || {0} END")


class _NotPlain(Exception):
    """A column the engine would not write as `write_csv` promises."""


def write_csv(rows: pd.DataFrame, path: Path) -> None:
    """Write `rows` (no index) as a plain CSV file at `path`, creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _engine_csv(rows, path)
    except (_NotPlain, duckdb.Error):
        _python_csv(rows, path)


def _engine_csv(rows: pd.DataFrame, path: Path) -> None:
    columns, cells = {}, []
    for i, name in enumerate(rows.columns):
        key, column = f"c{i}", rows.iloc[:, i]
        columns[key], expr = _engine_column(key, column)
        cells.append(f'{expr} AS "{neutral(str(name)).replace(chr(34), chr(34) * 2)}"')
    con = getattr(_engine, "con", None)
    if con is None:
        con = _engine.con = duckdb.connect(":memory:")
    con.register("csv_rows", pd.DataFrame(columns, index=pd.RangeIndex(len(rows))))
    try:
        target = _sql_literal(str(path))  # any path: quotes doubled (COPY TO neither globs nor splits at a backslash)
        con.execute(f"COPY (SELECT {', '.join(cells) or '1 AS x'} FROM csv_rows) TO {target} "
                    "(FORMAT csv, HEADER, DELIMITER ',', QUOTE '\"', ESCAPE '\"', NEW_LINE '\\n')")
    finally:
        con.unregister("csv_rows")


def _engine_column(key: str, column: pd.Series) -> tuple[object, str]:
    """The column as the engine reads it, and the SQL that makes its cells."""
    if pd.api.types.is_bool_dtype(column):
        return column, f"CASE WHEN {key} THEN 'True' WHEN NOT {key} THEN 'False' END"
    if pd.api.types.is_float_dtype(column):
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        known = values[~np.isnan(values)]
        if len(known) and not (np.abs(known) < _LARGEST).all():
            raise _NotPlain(key)
        return values, f"CAST({key} AS DECIMAL(38, 6))"
    if pd.api.types.is_integer_dtype(column):
        return column, key
    if pd.api.types.is_datetime64_any_dtype(column):
        return column.dt.strftime("%Y-%m-%d"), key
    kind = pd.api.types.infer_dtype(column, skipna=True)
    if kind in ("string", "empty"):
        return column.astype(object), _NEUTRAL_SQL.format(key)
    if kind == "date":  # dates as objects: their ISO text
        return [None if pd.isna(v) else v.isoformat() for v in column], key
    raise _NotPlain(key)


def _python_csv(rows: pd.DataFrame, path: Path) -> None:
    columns = [_python_cells(rows.iloc[:, i]) for i in range(rows.shape[1])]
    header = [neutral(str(c)) for c in rows.columns]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        if not any("\r" in v for v in [*header, *(v for c in columns for v in c)] if isinstance(v, str)):
            out = csv.writer(handle, lineterminator="\n")
            out.writerow(header)
            out.writerows(zip(*columns))
            return
        # A bare carriage return in a cell: quoted as the engine quotes it (the csv module quotes only
        # the characters of its line end), each row written with "\r\n" and ended with "\n".
        line = io.StringIO()
        out = csv.writer(line, lineterminator="\r\n")
        for row in [header, *zip(*columns)]:
            out.writerow(row)
            handle.write(line.getvalue()[:-2] + "\n")
            line.seek(0)
            line.truncate()


def _python_cells(column: pd.Series) -> list:
    """A column's cells as CSV text: floats as CSV_FLOAT, dates YYYY-MM-DD, empty for missing, texts `neutral`."""
    if pd.api.types.is_float_dtype(column):
        values = column.to_numpy(dtype="float64", na_value=np.nan).tolist()
        return [CSV_FLOAT % v if v == v else "" for v in values]
    if pd.api.types.is_datetime64_any_dtype(column):
        column = column.dt.strftime("%Y-%m-%d")
    missing = column.isna()
    if missing.any():
        column = column.astype(object).where(~missing, "")
    return [neutral(v) if isinstance(v, str) else v for v in column.tolist()]
