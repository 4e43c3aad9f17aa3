"""Open a source (SPEC §2) and expose its tables as typed DuckDB views.

A *source* is

- a folder holding one file per table, ``<table>.csv`` or ``<table>.parquet``
  (a folder may mix both formats), or
- a DuckDB database file (``*.duckdb``), attached read-only, holding tables
  named like the contract's tables, or
- a database URL: ``postgresql://user@host:5432/db`` or any SQLAlchemy URL, holding
  tables (or views) named like the contract's tables, in the schema given by the URL's
  ``?schema=`` or the ``source.schema`` setting (`database`, `url`).

`Source.open` returns an object owning an in-memory DuckDB connection ``con``
in which, for every table present in the source, two views exist:

``<table>``
    exactly the contract's columns, in the contract's order, cast to
    `contract.SQL_TYPES` (extra source columns are dropped). Views are
    defined over ``read_csv`` / ``read_parquet`` / the attached table, so
    DuckDB keeps its projection and filter push-down: nothing is loaded
    into memory until a query asks for it.
``<table>__raw``
    the same columns as text, exactly as in the source, plus ``_row``: the
    1-based data row number in file/table order (the first line under a CSV
    header is row 1). `validate.py` reads these to name offending rows.

Text values are cast with DuckDB's TRY_CAST (`columns.text_to_typed`): exact
for every valid value, NULL for one that cannot be cast. The contract is
stricter than TRY_CAST (ISO dates only, no ``nan``, no ``3.5`` as an integer…):
`columns.text_is_valid` holds those rules and `validate.validate`, the gate a
run passes before any report, reports every value that breaks them.

This module holds `Source` itself; how a file is read is in `files`, how a
column is typed in `columns`, a database in `database` and `rows`.

The connection has DuckDB's ``type_pushdown`` optimizer disabled (see
`Source._new_connection`).

A database source reads lazily: `Source.table` gives a `rows.ServerRows`, which
behaves like the typed view but fetches only the filtered rows and the columns a query
needs (the period filter runs on the server). The two views of a table are made on the
first use of `raw`, `table_sql` or ``con``, which copy the whole table into ``con``
(validation reads every row anyway).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from aftersales.source.columns import TableSQL, build_columns
from aftersales.source.contract import TABLES, DataError
from aftersales.source.files import (
    duckdb_tables,
    explain_read_error,
    file_table,
    hash_file,
    is_duckdb_file,
    table_file,
)
from aftersales.source.sql import SOURCE, ident, mask_password

if TYPE_CHECKING:
    from aftersales.source.database import Database
    from aftersales.source.rows import ServerRows, ServerTables

__all__ = ["Source"]

_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+://")  # 2+ letters: not C://


class Source:
    """A source of the contract's tables (see the module docstring)."""

    kind: str

    def __init__(self, kind: str, location: str, con: duckdb.DuckDBPyConnection):
        self.kind = kind
        self.location = location
        self._con = con
        self._tables: dict[str, TableSQL] = {}
        self._files: dict[str, Path] = {}  # table → file (folder sources)
        self._fingerprint: str | None = None
        self._db: Database | None = None  # database sources
        self._server: ServerTables | None = None  # the rows fetched from the database so far
        self._scratch: Path | None = None  # links to hostile paths, normalised copies (`files.engine_path`)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The in-memory DuckDB connection holding the two views of every table. (A
        database source first copies every table into it: prefer `table`.)"""
        if self._db is not None:
            for name in self.tables:
                if self._tables[name].error is None:
                    self._mirror(name)
        return self._con

    @property
    def database(self) -> Database | None:
        """The `database.Database` of a database source (its ``statements`` list what was
        sent to the server), else None."""
        return self._db

    def execute(self, sql: str) -> duckdb.DuckDBPyConnection:
        """Run DuckDB SQL on the source's connection (over tables already read)."""
        return self._con.execute(sql)

    def scratch(self) -> Path:
        """A private folder for what the engine reads in place of a file (a link to a path it would not
        take literally, a copy with plain line ends); made on first use, removed by `close` (or when
        the source is forgotten, or the process ends: a notebook may never close its source)."""
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="aftersales-source-"))
            self._forget = weakref.finalize(self, shutil.rmtree, str(self._scratch), True)
        return self._scratch

    # -- opening -----------------------------------------------------------

    @classmethod
    def open(cls, spec: str | os.PathLike, settings: dict | None = None) -> "Source":
        """Open a folder, a DuckDB file or a database URL (`settings`: the run's settings,
        whose ``source`` section names a database's schema and password variable)."""
        text = os.fspath(spec)
        if isinstance(spec, str) and _URL_RE.match(text):
            return cls._open_url(text, settings)
        path = Path(text).expanduser()
        if not path.exists():
            raise DataError(
                SOURCE, None,
                f"{text} does not exist: give a folder of <table>.csv / <table>.parquet "
                "files or a DuckDB database file (.duckdb)",
            )
        if path.is_dir():
            return cls._open_folder(path.resolve())
        if path.suffix.lower() == ".duckdb" or is_duckdb_file(path):
            return cls._open_duckdb(path.resolve())
        raise DataError(
            SOURCE, None,
            f"{text} is neither a folder of table files nor a DuckDB database file (.duckdb)",
        )

    @staticmethod
    def _new_connection() -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(":memory:")
        # DuckDB's type_pushdown moves a TRY_CAST over a CSV column into the
        # CSV reader, which then fails on the first bad value instead of
        # giving NULL: the typed views and validation rely on TRY_CAST.
        # (Measured: no speed difference on a 10M-row CSV.)
        # parquet_metadata_cache: a Parquet file's footer (its schema and the statistics of each row
        # group) is read once per connection, not again by every statement that binds or scans it:
        # measured on a 30-branch group's files, a branch's filtered query binds in 2 ms instead
        # of 13 and runs in 11 ms instead of 22. A file changed since is read again.
        for setting in ("SET disabled_optimizers = 'type_pushdown'", "SET enable_progress_bar = false",
                        "SET parquet_metadata_cache = true"):
            try:
                con.execute(setting)
            except duckdb.Error:  # pragma: no cover - absent in some DuckDB versions
                pass
        return con

    @classmethod
    def _open_folder(cls, folder: Path) -> "Source":
        src = cls("folder", str(folder), cls._new_connection())
        try:
            for name in TABLES:
                path = table_file(folder, name)
                if path is not None:
                    src._files[name] = path
                    src._add(file_table(src._con, name, path, src.scratch))
        except BaseException:
            src.close()
            raise
        return src

    @classmethod
    def _open_duckdb(cls, path: Path) -> "Source":
        src = cls("duckdb", str(path), cls._new_connection())
        try:
            for info in duckdb_tables(src._con, path, src.scratch):
                src._add(info)
        except BaseException:
            src.close()
            raise
        return src

    @classmethod
    def _open_url(cls, url: str, settings: dict | None = None) -> "Source":
        from aftersales.source.database import Database
        from aftersales.source.rows import ServerTables

        if settings is None:
            from aftersales import params

            settings = params.load(None)
        db = Database.connect(url, settings)
        src = cls("database", db.display, cls._new_connection())
        src._db = db
        src._server = ServerTables(src._con, db, src._tables)
        try:
            for name, plan in db.tables.items():
                info = TableSQL(name, db.where(name), "database", scan="", row="(rowid + 1)")
                info.source_columns = {n: "OTHER" for n in plan.types}
                info.source_columns.update({n: c.local_type for n, c in plan.columns.items()})
                build_columns(info)
                src._tables[name] = info
        except BaseException:
            src.close()
            raise
        return src

    # -- the two views of a table ------------------------------------------------------

    def _mirror(self, name: str) -> TableSQL:
        """Copy a database table into the connection and make its two views."""
        info = self._tables[name]
        if self._server is None or info.scan or info.error is not None:
            return info
        info.scan = self._server.whole(name)
        self._add(info)
        return info

    def _add(self, info: TableSQL) -> None:
        """Keep `info` and, when the table can be read, make its two views."""
        self._tables[info.name] = info
        if info.error is not None or not info.scan:
            return
        typed = ", ".join(f"{c.typed} AS {ident(c.name)}" for c in info.columns)
        raw = ", ".join([f"{info.row} AS _row"] + [f"{c.raw} AS {ident(c.name)}" for c in info.columns])
        self._con.execute(f"CREATE OR REPLACE VIEW {ident(info.name)} AS SELECT {typed} FROM {info.scan}")
        self._con.execute(
            f"CREATE OR REPLACE VIEW {ident(info.name + '__raw')} AS SELECT {raw} FROM {info.scan}"
        )

    # -- the public API --------------------------------------------------------

    @property
    def tables(self) -> list[str]:
        """The contract tables present in the source, in contract order."""
        return [n for n in TABLES if n in self._tables]

    def has(self, table: str) -> bool:
        """True when the source holds `table`."""
        return table in self._tables

    def has_column(self, table: str, column: str) -> bool:
        """True when the source's `table` has `column` (an optional column may be absent: SPEC §6.1)."""
        return self.has(table) and any(c.name == column and c.present for c in self._tables[table].columns)

    def table(self, name: str) -> duckdb.DuckDBPyRelation | ServerRows:
        """The typed view `name`: the contract's columns and types. (A database source
        gives a `rows.ServerRows`, which fetches rows only when queried.)"""
        self._usable(name)
        if self._server is not None:
            return self._server.rows(name)
        return self._con.view(name)

    def raw(self, name: str) -> duckdb.DuckDBPyRelation:
        """The text view of `name`, with `_row` (1-based data row number)."""
        self._mirror(self._usable(name).name)
        return self._con.view(name + "__raw")

    def table_sql(self, name: str, copy: bool = True) -> TableSQL:
        """How `name` is read (used by validation). With `copy`, a database table is first
        copied into the connection (its `scan`)."""
        info = self._info(name)
        return self._mirror(name) if copy and info.error is None else info

    def clean_on_server(self, name: str) -> bool:
        """True when a database finds none of validation's problems in `name` itself (so
        validation need not copy the table); False for other sources."""
        return self._db is not None and self._db.clean(name) is True

    def _info(self, name: str) -> TableSQL:
        if name not in TABLES:
            raise KeyError(f"{name!r} is not a table of the contract")
        if name not in self._tables:
            raise DataError(name, None, f"the table is missing from {self.describe()}")
        return self._tables[name]

    def _usable(self, name: str) -> TableSQL:
        info = self._info(name)
        if info.error is not None:
            raise info.error
        return info

    def read_error(self, name: str, exc: BaseException) -> DataError:
        """Turn a DuckDB error met while reading `name` into a DataError."""
        info = self._tables.get(name)
        where = info.file_name if info is not None else name
        return DataError(name, None, *explain_read_error(where, exc))

    def describe(self) -> str:
        """A human description of the source (never a password)."""
        present = self.tables
        if self.kind == "folder":
            files = ", ".join(self._files[n].name for n in present) or "no table files"
            return f"folder {self.location} ({files})"
        if self.kind == "duckdb":
            return f"DuckDB file {self.location} (tables {', '.join(present) or 'none'})"
        if self.kind == "database":
            return f"database {self.location} (tables {', '.join(present) or 'none'})"
        return f"{self.kind} {mask_password(self.location)}"

    def fingerprint(self) -> str:
        """sha256 over the source's table files (names and contents); stable
        across runs and independent of where the folder lives."""
        if self._fingerprint is None:
            h = hashlib.sha256()
            if self.kind == "folder":
                for name in sorted(self._files):
                    hash_file(h, self._files[name])
            elif self.kind == "duckdb":
                hash_file(h, Path(self.location))
            elif self.kind == "database":  # every row, in any order: a database has no file
                for name in sorted(self.tables):
                    if self._tables[name].error is not None:
                        continue
                    summed = self._db.checksum(name)
                    if summed is not None:
                        h.update(f"{name}\0{summed[0]}\0{summed[1]}\0".encode())
                        continue
                    info = self._mirror(name)
                    cols = ", ".join(ident(c.name) for c in info.columns)
                    count, total = self._con.execute(
                        f"SELECT count(*), sum(hash({cols})::HUGEINT) FROM {ident(name)}").fetchall()[0]
                    h.update(f"{name}\0{count}\0{total}\0".encode())
            else:  # pragma: no cover
                raise NotImplementedError(self.kind)
            self._fingerprint = h.hexdigest()
        return self._fingerprint

    def row_counts(self) -> dict[str, int]:
        """Rows per present table."""
        counts: dict[str, int] = {}
        for name in self.tables:
            info = self._usable(name)
            if self._db is not None:
                counts[name] = self._db.count(name)
                continue
            try:
                counts[name] = self._con.execute(f"SELECT count(*) FROM {info.scan}").fetchall()[0][0]
            except duckdb.Error as exc:
                raise self.read_error(name, exc) from None
        return counts

    def close(self) -> None:
        """Close the connection (and detach the database file)."""
        try:
            self._con.close()
        except duckdb.Error:  # pragma: no cover
            pass
        if self._db is not None:
            self._db.close()
        if self._scratch is not None:
            self._forget()  # removes the folder
            self._scratch = None

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Source {self.describe()}>"
