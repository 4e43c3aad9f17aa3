"""The files a source is read from: a folder's CSV and Parquet files, a DuckDB database file.

- `table_file` finds a table's file in a folder (``<table>.csv`` or ``<table>.parquet``,
  never both) and `file_table` tells how to read it (`columns.TableSQL`): a CSV file
  through ``read_csv`` with every column as text, under the header's own names; a Parquet
  file through ``read_parquet``, with its row numbers;
- `duckdb_tables` attaches a DuckDB database file read-only and tells how to read each
  contract table found in it (`is_duckdb_file` knows such a file by its first bytes);
- `explain_read_error` turns a DuckDB error met while scanning a file into one clear
  sentence and the data row it names; `hash_file` feeds a file to a fingerprint.

A file that cannot be read at all (not UTF-8, a wrong delimiter, a duplicated column) gives
a `TableSQL` whose ``error`` says why, reported by validation.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from aftersales.source.columns import TableSQL, build_columns
from aftersales.source.contract import TABLES, DataError
from aftersales.source.sql import SOURCE, first_line, ident, literal

__all__ = [
    "ATTACH_ALIAS", "table_file", "file_table", "csv_table", "parquet_table", "duckdb_tables",
    "is_duckdb_file", "explain_read_error", "hash_file",
]

#: The name under which a DuckDB database file is attached.
ATTACH_ALIAS = "aftersales_src"
_DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of a DuckDB database file


def table_file(folder: Path, name: str) -> Path | None:
    """The file of table `name` in `folder` (``<name>.csv`` or ``<name>.parquet``), or None;
    a DataError when the folder holds both."""
    csv_path = folder / f"{name}.csv"
    pq_path = folder / f"{name}.parquet"
    if csv_path.is_file() and pq_path.is_file():
        raise DataError(
            name, None,
            f"the folder holds both {csv_path.name} and {pq_path.name}: "
            "keep only one file per table",
        )
    if csv_path.is_file():
        return csv_path
    if pq_path.is_file():
        return pq_path
    return None


def file_table(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> TableSQL:
    """How table `name` is read from its file `path` (found by `table_file`)."""
    return csv_table(name, path) if path.suffix == ".csv" else parquet_table(con, name, path)


def csv_table(name: str, path: Path) -> TableSQL:
    """How table `name` is read from the CSV file `path`: every column as text."""
    info = TableSQL(name, str(path), "csv", scan="", row="row_number() OVER ()")
    try:
        header = _read_csv_header(path)
    except DataError as err:
        info.error = DataError(name, None, err.problem)
        return info
    except OSError as exc:
        info.error = DataError(name, None, f"{path.name} cannot be read: {exc}")
        return info
    if not header:
        info.error = DataError(name, None, f"{path.name} is empty: it has no header line")
        return info
    contract_names = TABLES[name].names
    # A header of one column holding another delimiter: the file is not comma-separated.
    if len(header) == 1 and len(contract_names) > 1:
        for delim in (";", "\t", "|"):
            if delim in header[0]:
                shown = header[0] if len(header[0]) <= 60 else header[0][:57] + "..."
                info.error = DataError(
                    name, None,
                    f"{path.name} has a single column {shown!r}: the delimiter looks wrong "
                    f"(found {delim!r}; columns must be separated by commas), so the "
                    f"required columns {', '.join(contract_names)} are missing",
                )
                return info
    # Unique names for DuckDB, keeping the header's own names where possible.
    seen: dict[str, int] = {}
    names: list[str] = []
    for i, col in enumerate(header, start=1):
        base = col if col != "" else f"column{i}"
        key = base.lower()  # DuckDB identifiers are case-insensitive
        if key in seen:
            if col in contract_names:
                info.error = DataError(
                    name, col, f"{path.name} has the column {col!r} twice in its header"
                )
                return info
            seen[key] += 1
            base = f"{base}__{seen[key]}"
            key = base.lower()
        seen[key] = seen.get(key, 1)
        names.append(base)
    columns = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names) + "}"
    info.scan = (
        f"read_csv({literal(str(path))}, auto_detect = false, header = true, "
        f"all_varchar = true, delim = ',', quote = '\"', escape = '\"', "
        f"strict_mode = true, columns = {columns})"
    )
    info.source_columns = {n: "VARCHAR" for n in names}
    build_columns(info)
    return info


def parquet_table(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> TableSQL:
    """How table `name` is read from the Parquet file `path`, in its own column types."""
    plain = f"read_parquet({literal(str(path))})"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {plain}").fetchall()
    except duckdb.Error as exc:
        info = TableSQL(name, str(path), "parquet", scan=plain, row="row_number() OVER ()")
        info.error = DataError(
            name, None, f"{path.name} is not a readable Parquet file: {first_line(exc)}"
        )
        return info
    columns = {r[0]: r[1] for r in described}
    if "file_row_number" in columns:  # the reader's row number would clash
        info = TableSQL(name, str(path), "parquet", scan=plain, row="row_number() OVER ()")
    else:
        scan = f"read_parquet({literal(str(path))}, file_row_number = true)"
        info = TableSQL(name, str(path), "parquet", scan=scan, row="(file_row_number + 1)")
    info.source_columns = columns
    build_columns(info)
    return info


def duckdb_tables(con: duckdb.DuckDBPyConnection, path: Path) -> Iterator[TableSQL]:
    """Attach the DuckDB database file `path` to `con` (read-only, as `ATTACH_ALIAS`), then
    tell, one at a time in the contract's order, how each contract table found in its main
    schema is read (a name differing only in case is taken)."""
    try:
        con.execute(f"ATTACH {literal(str(path))} AS {ATTACH_ALIAS} (READ_ONLY)")
    except duckdb.Error as exc:
        raise DataError(
            SOURCE, None, f"{path} cannot be opened as a DuckDB database: {first_line(exc)}"
        ) from None
    found = con.execute(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_catalog = ? AND table_schema = 'main'",
        [ATTACH_ALIAS],
    ).fetchall()
    by_name = {n: t for n, t in found}
    by_lower = {n.lower(): n for n, _ in found}
    for name in TABLES:
        actual = name if name in by_name else by_lower.get(name)
        if actual is None:
            continue
        yield _duckdb_table(con, name, actual, by_name[actual])


def _duckdb_table(con: duckdb.DuckDBPyConnection, name: str, actual: str, table_type: str) -> TableSQL:
    """How table `name` is read from the table or view `actual` of the attached file."""
    ref = f"{ATTACH_ALIAS}.main.{ident(actual)}"
    is_base = table_type.upper() == "BASE TABLE"
    # rowid is the insertion order of a base table; a view has none.
    row = "(rowid + 1)" if is_base else "row_number() OVER ()"
    info = TableSQL(name, f"table {actual}", "duckdb", scan=ref, row=row)
    described = con.execute(f"DESCRIBE SELECT * FROM {ref}").fetchall()
    info.source_columns = {r[0]: r[1] for r in described}
    build_columns(info)
    return info


def is_duckdb_file(path: Path) -> bool:
    """True when `path` begins like a DuckDB database file."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return False
    return head[8:12] == _DUCKDB_MAGIC


def _read_csv_header(path: Path) -> list[str]:
    """The header's column names (a UTF-8 byte-order mark is dropped)."""
    with open(path, "rb") as f:
        line = f.readline()
        # a header field may be quoted across lines: read until the quotes balance
        while line.count(b'"') % 2 == 1:
            more = f.readline()
            if not more:
                raise DataError("", None, f"{path.name} line 1 (the header) has a quote that is never closed")
            line += more
    if line.startswith(b"\xef\xbb\xbf"):
        line = line[3:]
    if not line.strip(b"\r\n"):
        return []
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(
            "", None,
            f"{path.name} line 1 (the header) is not UTF-8 text: save the file as UTF-8 "
            "(it looks like another encoding, such as Latin-1 or Windows-1252)",
        ) from None
    return next(csv.reader([text.rstrip("\r\n")], delimiter=",", quotechar='"'))


_LINE_RE = re.compile(r"CSV Error on Line:\s*(\d+)")
_FIELDS_RE = re.compile(r"Expected Number of Columns:\s*(\d+)\s*Found:\s*(\d+)")


def explain_read_error(where: str, exc: BaseException) -> tuple[str, list[int]]:
    """(problem, rows) for a DuckDB error met while scanning a file."""
    text = str(exc)
    m = _LINE_RE.search(text)
    line = int(m.group(1)) if m else None
    # DuckDB counts the header as line 1: data row = line - 1
    rows = [line - 1] if line and line > 1 else []
    at = f"{where} line {line}" if line else where
    if "Invalid unicode" in text or "not utf-8" in text.lower():
        return (
            f"{at} is not UTF-8 text: save the file as UTF-8 (it looks like another "
            "encoding, such as Latin-1 or Windows-1252)",
            rows,
        )
    if "unterminated quote" in text.lower():
        return (f"{at} has a quote that is never closed (a truncated or broken file?)", rows)
    f = _FIELDS_RE.search(text)
    if f:
        expected, found = int(f.group(1)), int(f.group(2))
        what = "a truncated or broken line?" if found < expected else "a comma inside an unquoted value?"
        return (f"{at} has {found} fields where the header has {expected} ({what})", rows)
    return (f"{at} cannot be read: {first_line(exc)}", rows)


def hash_file(h: Any, path: Path) -> None:
    """Feed the file's name, size and contents to the hash `h` (a hashlib object)."""
    h.update(path.name.encode("utf-8") + b"\0")
    h.update(str(path.stat().st_size).encode() + b"\0")
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
