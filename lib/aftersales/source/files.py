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

Paths reach DuckDB as quoted literals (`sql.literal`). DuckDB reads ``*``, ``?``, ``[`` and ``{``
in a path as wildcards (a folder named ``dealer*`` would also read ``dealerX/…``) and, in an
ATTACH, a backslash as a folder separator: such a path is given to DuckDB through a link with a
plain name in the source's scratch folder (`engine_path`).

Line ends: DuckDB does not tell a carriage return inside a quoted value from a line end unless
told which line end the file uses. A file whose header ends in LF is read with ``new_line``
LF (a bare CR inside quotes is then a character of its value, RFC 4180); one whose header ends
in CRLF with the engine's own detection, which reads bare CRs inside quoted values too. A file
with CR line ends (old Mac spreadsheets), or a CRLF header holding a bare CR, is read from a
copy with LF line ends (`normalised_copy`). A file mixing CRLF and LF line ends is not valid
CSV and is refused.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb

from aftersales.source.columns import TableSQL, build_columns
from aftersales.source.contract import TABLES, DataError
from aftersales.source.sql import SOURCE, first_line, ident, literal

__all__ = [
    "ATTACH_ALIAS", "table_file", "file_table", "csv_table", "parquet_table", "duckdb_tables",
    "is_duckdb_file", "explain_read_error", "hash_file", "engine_path", "normalised_copy",
]

#: The name under which a DuckDB database file is attached.
ATTACH_ALIAS = "aftersales_src"
_DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of a DuckDB database file
#: Characters DuckDB does not take literally in a path: wildcards, and a backslash (a separator in ATTACH).
_NOT_LITERAL = frozenset("*?[]{}\\")

#: A function giving the source's scratch folder (made on first use, removed when the source closes).
Scratch = Callable[[], Path]


def engine_path(path: Path, scratch: Scratch, name: str | None = None) -> str:
    """The path DuckDB is given for the file `path`: the path itself, or, when it holds a character
    DuckDB would not take literally (`_NOT_LITERAL`), a link to it named `name` (default: the file's
    own name, made plain) in the scratch folder. A DataError says so where no link can be made."""
    text = str(path)
    if not _NOT_LITERAL.intersection(text):
        return text
    link = scratch() / (name or re.sub(r"[^A-Za-z0-9._-]", "_", path.name))
    try:
        if not link.is_symlink():
            os.symlink(path.resolve(), link)
    except OSError as exc:
        raise DataError(
            SOURCE, None,
            f"{text} holds one of the characters {' '.join(sorted(_NOT_LITERAL))}, which the engine reads as "
            f"wildcards or separators, and no link to it could be made ({exc.strerror or exc}): rename the "
            "folder or the file",
        ) from None
    return str(link)


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


def file_table(con: duckdb.DuckDBPyConnection, name: str, path: Path, scratch: Scratch) -> TableSQL:
    """How table `name` is read from its file `path` (found by `table_file`); `scratch` gives the
    source's scratch folder (links to hostile paths, normalised copies)."""
    if path.suffix == ".csv":
        return csv_table(name, path, scratch)
    return parquet_table(con, name, path, scratch)


def _read_failure(name: str, path: Path, exc: DataError | OSError) -> DataError:
    """Table `name`'s error when its file `path` cannot be read: the problem found, or the system's reason."""
    if isinstance(exc, DataError):
        return DataError(name, None, exc.problem)
    return DataError(name, None, f"{path.name} cannot be read: {exc}")


def csv_table(name: str, path: Path, scratch: Scratch) -> TableSQL:
    """How table `name` is read from the CSV file `path`: every column as text."""
    info = TableSQL(name, str(path), "csv", scan="", row="row_number() OVER ()")
    try:
        header, ending, bare_cr = _read_csv_header(path)
    except (DataError, OSError) as exc:
        info.error = _read_failure(name, path, exc)
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
    try:
        if ending == "cr" or (ending == "crlf" and bare_cr):
            # CR line ends, or a bare CR in a CRLF header: no setting of the engine reads them, a copy
            # with LF ends does
            target = scratch() / f"{name}.lf.csv"
            normalised_copy(path, target)
            where, lf = str(target), True
        else:
            where = engine_path(path, scratch, f"{name}.csv")
            lf = ending == "lf"
    except (DataError, OSError) as exc:
        info.error = _read_failure(name, path, exc)
        return info
    # the engine's own line-end detection reads CRLF files (bare CRs inside quotes included); an LF
    # file must be told, or a CR inside a quoted value can make it read the file as CR-ended
    ends = ", new_line = '\\n'" if lf else ""  # the engine's spelling: a backslash and an n
    info.scan = (
        f"read_csv({literal(where)}, auto_detect = false, header = true, "
        f"all_varchar = true, delim = ',', quote = '\"', escape = '\"', "
        f"strict_mode = true{ends}, columns = {columns})"
    )
    info.source_columns = {n: "VARCHAR" for n in names}
    build_columns(info)
    return info


def parquet_table(con: duckdb.DuckDBPyConnection, name: str, path: Path, scratch: Scratch) -> TableSQL:
    """How table `name` is read from the Parquet file `path`, in its own column types."""
    try:
        where = engine_path(path, scratch, f"{name}.parquet")
    except DataError as err:
        info = TableSQL(name, str(path), "parquet", scan="", row="row_number() OVER ()")
        info.error = DataError(name, None, err.problem)
        return info
    plain = f"read_parquet({literal(where)})"
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
        scan = f"read_parquet({literal(where)}, file_row_number = true)"
        info = TableSQL(name, str(path), "parquet", scan=scan, row="(file_row_number + 1)")
    info.source_columns = columns
    build_columns(info)
    return info


def duckdb_tables(con: duckdb.DuckDBPyConnection, path: Path, scratch: Scratch) -> Iterator[TableSQL]:
    """Attach the DuckDB database file `path` to `con` (read-only, as `ATTACH_ALIAS`), then
    tell, one at a time in the contract's order, how each contract table found in its main
    schema is read (a name differing only in case is taken)."""
    where = engine_path(path, scratch, "source.duckdb")
    if where != str(path) and Path(f"{path}.wal").exists():  # the log of changes not yet checkpointed
        engine_path(Path(f"{path}.wal"), scratch, "source.duckdb.wal")
    try:
        con.execute(f"ATTACH {literal(where)} AS {ATTACH_ALIAS} (READ_ONLY)")
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


#: The header record: text and quoted values up to the first line end outside quotes.
_HEADER_RECORD = re.compile(rb'(?:[^"\r\n]+|"[^"]*")*')
#: A header longer than this is not a CSV file's header.
_HEADER_LIMIT = 1 << 20


def _read_csv_header(path: Path) -> tuple[list[str], str, bool]:
    """The header's column names (a UTF-8 byte-order mark is dropped), the file's line end as the
    header ends ("lf", "crlf" or "cr"; "lf" for a header alone) and whether the header holds a
    bare CR inside quotes."""
    with open(path, "rb") as f:
        data = f.read(1 << 16)
        while True:
            end = _HEADER_RECORD.match(data).end()
            at = data[end:end + 2]
            if at[:1] not in (b"", b'"') and at != b"\r":  # a line end outside quotes, CRLF told from CR
                break
            more = f.read(1 << 16)
            if not more:
                break
            if len(data) > _HEADER_LIMIT:
                raise DataError("", None, f"{path.name} line 1 (the header) is longer than 1 MB: is it a CSV file?")
            data += more
    if data[end:end + 1] == b'"':
        raise DataError("", None, f"{path.name} line 1 (the header) has a quote that is never closed")
    line = data[:end]
    ending = "crlf" if at == b"\r\n" else "cr" if at[:1] == b"\r" else "lf"
    bare_cr = b"\r" in line.replace(b"\r\n", b"")
    if line.startswith(b"\xef\xbb\xbf"):
        line = line[3:]
    if not line:
        return [], ending, bare_cr
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(
            "", None,
            f"{path.name} line 1 (the header) is not UTF-8 text: save the file as UTF-8 "
            "(it looks like another encoding, such as Latin-1 or Windows-1252)",
        ) from None
    return next(csv.reader([text], delimiter=",", quotechar='"')), ending, bare_cr


def normalised_copy(path: Path, target: Path) -> None:
    """Write the records of the CSV file `path` to `target` with LF line ends, quoting every value
    that holds a comma, a quote, a CR or an LF (RFC 4180 read by Python's csv module: any line end,
    CRs and LFs inside quotes kept). Bytes that are not UTF-8 are kept as they are."""
    def cell(value: str) -> str:
        if any(c in value for c in ',"\r\n'):
            return '"' + value.replace('"', '""') + '"'
        return value

    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as src, \
            open(target, "w", encoding="utf-8", errors="surrogateescape", newline="") as out:
        for record in csv.reader(src, delimiter=",", quotechar='"'):
            out.write(",".join(cell(v) for v in record) + "\n")


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
    if "state machine reached an invalid state" in text:
        return (f"{at} is not valid CSV: its lines do not all end the same way (CRLF and LF mixed), or a "
                "carriage return or a quote stands outside a quoted value; save the file again as CSV "
                "(UTF-8, comma-separated)", rows)
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
