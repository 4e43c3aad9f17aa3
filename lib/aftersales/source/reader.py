"""Open a source (SPEC §2) and expose its tables as typed DuckDB views.

A *source* is

- a folder holding one file per table, ``<table>.csv`` or ``<table>.parquet``
  (a folder may mix both formats), or
- a DuckDB database file (``*.duckdb``), attached read-only, holding tables
  named like the contract's tables, or
- a database URL: ``postgresql://user@host:5432/db`` or any SQLAlchemy URL, holding
  tables (or views) named like the contract's tables, in the schema given by the URL's
  ``?schema=`` or the ``source.schema`` setting (`database.py`).

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

Text values are cast with DuckDB's TRY_CAST (`text_to_typed`): exact for
every valid value, NULL for one that cannot be cast. The contract is stricter
than TRY_CAST (ISO dates only, no ``nan``, no ``3.5`` as an integer…):
`text_is_valid` holds those rules and `validate.validate`, the gate a run
passes before any report, reports every value that breaks them.

The connection has DuckDB's ``type_pushdown`` optimizer disabled (see
`Source._new_connection`).

A database source reads lazily: `Source.table` gives a `database.ServerRows`, which
behaves like the typed view but fetches only the filtered rows and the columns a query
needs (the period filter runs on the server). The two views of a table are made on the
first use of `raw`, `table_sql` or ``con``, which copy the whole table into ``con``
(validation reads every row anyway).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from aftersales.source.contract import (
    BOOLEAN,
    DATE,
    FALSE_WORDS,
    INTEGER,
    NUMBER,
    SQL_TYPES,
    TABLES,
    TEXT,
    TIMESTAMP,
    TRUE_WORDS,
    DataError,
)

__all__ = ["Source", "text_to_typed", "text_is_valid", "text_state", "VALID", "EMPTY", "INVALID"]

#: DataError.table used for problems with the source as a whole.
SOURCE = "source"

_ATTACH_ALIAS = "aftersales_src"
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+://")  # 2+ letters: not C://
_DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of a DuckDB database file

# ---------------------------------------------------------------------------
# Text → typed value: the contract's parsing rules, as SQL expressions.
# ---------------------------------------------------------------------------

# RE2 patterns, matched against the whole value (regexp_full_match).
# Surrounding blanks are tolerated for non-text values; text is never trimmed.
_INTEGER_RE = r"\s*[+-]?\d+(\.0*)?\s*"  # 3 and 3.0 are integers, 3.5 is not
_TIMESTAMP_RE = r"\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*"


def _lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    """A SQL quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def text_to_typed(expr: str, ctype: str) -> str:
    """SQL turning the text expression `expr` into a value of contract type
    `ctype`; NULL when the text is empty or cannot be cast.

    This is the typed views' cast: cheap, and exact for every valid value.
    DuckDB's casts also take some text the contract refuses (``2024-1-5``,
    ``1_000``, ``nan``, ``t``; ``3.5`` even becomes the integer 4): those are
    reported by `text_is_valid`, which `validate` runs before any report.
    """
    if ctype == TEXT:
        return expr
    if ctype == BOOLEAN:  # the cast does not trim
        return f"TRY_CAST(trim({expr}) AS BOOLEAN)"
    return f"TRY_CAST({expr} AS {SQL_TYPES[ctype]})"


def text_is_valid(expr: str, ctype: str, typed: str | None = None) -> str | None:
    """SQL true when the text `expr` is a valid value of `ctype` under the
    contract's strict rules (None for text: any text is). Surrounding blanks
    are allowed; a NULL or blank text is not valid (see `text_state`).

    `typed` is the SQL of the cast value (`text_to_typed`). The tests avoid
    regular expressions where they can: a cast or a comparison is evaluated
    once per distinct value of a dictionary-encoded Parquet column, a regular
    expression once per row.
    """
    if ctype == TEXT:
        return None
    typed = typed or text_to_typed(expr, ctype)
    if ctype == BOOLEAN:
        words = ", ".join(_lit(w) for w in TRUE_WORDS + FALSE_WORDS)
        return f"(lower(trim({expr})) IN ({words}))"
    if ctype == NUMBER:
        # DuckDB's DOUBLE cast takes decimals with an optional exponent,
        # and also digit separators (1_000) and inf/nan, which are refused
        return f"(coalesce(isfinite({typed}), false) AND NOT contains({expr}, '_'))"
    if ctype == INTEGER:
        # the cast rounds 3.5 and reads 0x10: the pattern is needed
        return f"(regexp_full_match({expr}, {_lit(_INTEGER_RE)}) AND {typed} IS NOT NULL)"
    if ctype == DATE:
        # ISO exactly: the date written back as ISO is the text (2024-1-5,
        # 2024/01/05 and 2024-02-30 are not)
        back = f"CAST({typed} AS VARCHAR)"
        return f"coalesce({back} = {expr} OR {back} = trim({expr}), false)"
    # TIMESTAMP: timestamps are rarely repeated, a pattern costs no more here
    return f"(regexp_full_match({expr}, {_lit(_TIMESTAMP_RE)}) AND {typed} IS NOT NULL)"


#: Values of a `<col>__state` column (see `text_state`).
VALID, EMPTY, INVALID = 0, 1, 2


def text_state(expr: str, ctype: str, typed: str | None = None) -> str:
    """SQL classifying the text `expr` for type `ctype`: `VALID`, `EMPTY`
    (NULL, or blanks only for a non-text type) or `INVALID`.

    Text is taken exactly as written: any text but NULL is valid (``' '`` is a
    value). The CASE evaluates the costly tests only on the rows that need
    them (trim only where the value is not valid), whatever order the
    optimizer gives to the conditions of a WHERE or an AND.
    """
    if ctype == TEXT:
        return f"CASE WHEN {expr} IS NULL THEN {EMPTY} ELSE {VALID} END"
    return (
        f"CASE WHEN {expr} IS NULL THEN {EMPTY} "
        f"WHEN coalesce({text_is_valid(expr, ctype, typed)}, false) THEN {VALID} "
        f"WHEN trim({expr}) = '' THEN {EMPTY} ELSE {INVALID} END"
    )


_INT_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}
_FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL"}
_TIMESTAMP_TYPES = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"}


def _native_expr(col: str, source_type: str, ctype: str) -> str | None:
    """A direct cast from a native (non-text) column, or None when the native
    type does not hold the contract type (the value is then parsed as text)."""
    t = source_type.upper()
    numeric = t in _INT_TYPES or t in _FLOAT_TYPES or t.startswith("DECIMAL")
    if ctype == TEXT:
        return col if t == "VARCHAR" else f"CAST({col} AS VARCHAR)"
    if ctype == NUMBER and numeric:
        return col if t == "DOUBLE" else f"CAST({col} AS DOUBLE)"
    if ctype == INTEGER and t in _INT_TYPES:
        return col if t == "BIGINT" else f"TRY_CAST({col} AS BIGINT)"
    if ctype == BOOLEAN and t == "BOOLEAN":
        return col
    if ctype == DATE and t == "DATE":
        return col
    if ctype == TIMESTAMP and t in _TIMESTAMP_TYPES:
        return col if t == "TIMESTAMP" else f"CAST({col} AS TIMESTAMP)"
    return None


@dataclass(frozen=True)
class ColumnSQL:
    """How one contract column is read from the source."""

    name: str
    type: str  # contract type
    present: bool
    raw: str  # SQL: the value as text (NULL when empty)
    typed: str  # SQL: the value cast to SQL_TYPES[type] (NULL when empty/invalid)
    native: bool  # True when `typed` is a direct cast that cannot fail to parse


@dataclass
class TableSQL:
    """How one table is read: its scan, its row numbers and its columns."""

    name: str
    location: str  # file path or database table, for messages
    format: str  # "csv" | "parquet" | "duckdb" | "database"
    scan: str  # FROM clause of the whole table (source column names)
    row: str  # SQL of the 1-based data row number over `scan`
    columns: list[ColumnSQL] = field(default_factory=list)
    source_columns: dict[str, str] = field(default_factory=dict)  # name → DuckDB type
    missing: list[str] = field(default_factory=list)
    missing_hints: dict[str, str] = field(default_factory=dict)
    error: DataError | None = None  # the table cannot be read at all

    @property
    def file_name(self) -> str:
        return os.path.basename(self.location) if self.format in ("csv", "parquet") else self.location

    def check_select(self, with_row: bool = True) -> str:
        """SELECT of `_row` plus, per column, `<col>` (the text), `<col>__typed`
        and, for a column read from text, `<col>__state` (`text_state`:
        VALID, EMPTY or INVALID).

        Without `_row` a CSV scan stays fully parallel (numbering the rows
        needs them in file order)."""
        parts = [f"{self.row} AS _row"] if with_row else []
        for c in self.columns:
            parts.append(f"{c.raw} AS {_ident(c.name)}")
            parts.append(f"{c.typed} AS {_ident(c.name + '__typed')}")
            if not c.native:
                state = text_state(c.raw, c.type, c.typed)
                parts.append(f"{state} AS {_ident(c.name + '__state')}")
        return f"SELECT {', '.join(parts)} FROM {self.scan}"


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
        self._db = None  # database.Database (database sources)
        self._slices: dict[tuple, list[tuple[frozenset, str]]] = {}  # fetched rows (database sources)
        self._stand_ins: dict[tuple, duckdb.DuckDBPyRelation] = {}

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
    def database(self):
        """The `database.Database` of a database source (its ``statements`` list what was
        sent to the server), else None."""
        return self._db

    def execute(self, sql: str) -> duckdb.DuckDBPyConnection:
        """Run DuckDB SQL on the source's connection (over tables already read)."""
        return self._con.execute(sql)

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
        if path.suffix.lower() == ".duckdb" or _is_duckdb_file(path):
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
        for setting in ("SET disabled_optimizers = 'type_pushdown'", "SET enable_progress_bar = false"):
            try:
                con.execute(setting)
            except duckdb.Error:  # pragma: no cover - absent in some DuckDB versions
                pass
        return con

    @classmethod
    def _open_folder(cls, folder: Path) -> "Source":
        src = cls("folder", str(folder), cls._new_connection())
        try:
            for name, table in TABLES.items():
                csv_path = folder / f"{name}.csv"
                pq_path = folder / f"{name}.parquet"
                if csv_path.is_file() and pq_path.is_file():
                    raise DataError(
                        name, None,
                        f"the folder holds both {csv_path.name} and {pq_path.name}: "
                        "keep only one file per table",
                    )
                if csv_path.is_file():
                    src._files[name] = csv_path
                    src._add(src._csv_table(name, csv_path))
                elif pq_path.is_file():
                    src._files[name] = pq_path
                    src._add(src._parquet_table(name, pq_path))
        except BaseException:
            src.close()
            raise
        return src

    @classmethod
    def _open_duckdb(cls, path: Path) -> "Source":
        src = cls("duckdb", str(path), cls._new_connection())
        try:
            try:
                src._con.execute(f"ATTACH {_lit(str(path))} AS {_ATTACH_ALIAS} (READ_ONLY)")
            except duckdb.Error as exc:
                raise DataError(
                    SOURCE, None, f"{path} cannot be opened as a DuckDB database: {_first_line(exc)}"
                ) from None
            found = src._con.execute(
                "SELECT table_name, table_type FROM information_schema.tables "
                "WHERE table_catalog = ? AND table_schema = 'main'",
                [_ATTACH_ALIAS],
            ).fetchall()
            by_name = {n: t for n, t in found}
            by_lower = {n.lower(): n for n, _ in found}
            for name in TABLES:
                actual = name if name in by_name else by_lower.get(name)
                if actual is None:
                    continue
                src._add(src._db_table(name, actual, by_name[actual]))
        except BaseException:
            src.close()
            raise
        return src

    @classmethod
    def _open_url(cls, url: str, settings: dict | None = None) -> "Source":
        from aftersales.source.database import Database

        if settings is None:
            from aftersales import params

            settings = params.load(None)
        db = Database.connect(url, settings)
        src = cls("database", db.display, cls._new_connection())
        src._db = db
        try:
            for name, plan in db.tables.items():
                info = TableSQL(name, db.where(name), "database", scan="", row="(rowid + 1)")
                info.source_columns = {n: "OTHER" for n in plan.types}
                info.source_columns.update({n: c.local_type for n, c in plan.columns.items()})
                src._build_columns(info)
                src._tables[name] = info
        except BaseException:
            src.close()
            raise
        return src

    # -- database sources: rows fetched on demand -------------------------------------

    def column_plans(self, name: str) -> dict:
        """How the database gives each present column of `name` (database sources)."""
        return self._db.tables[name].columns

    def stand_in(self, name: str, columns: list[str] | None = None) -> duckdb.DuckDBPyRelation:
        """An empty relation of the typed columns of `name`: DuckDB binds queries over it."""
        key = (name, tuple(columns) if columns is not None else None)
        rel = self._stand_ins.get(key)
        if rel is None:
            table = TABLES[name]
            names = columns if columns is not None else table.names
            cols = ", ".join(f"CAST(NULL AS {SQL_TYPES[table.column(n).type]}) AS {_ident(n)}" for n in names)
            rel = self._stand_ins[key] = self._con.sql(f"SELECT {cols} WHERE false")
        return rel

    def fetched(self, name: str, server: tuple, columns: list[str]) -> duckdb.DuckDBPyRelation:
        """The typed `columns` of the rows of `name` meeting the `server` conditions
        ((DuckDB text, server expression) pairs), fetched once and kept."""
        import sqlalchemy as sa

        info = self._usable(name)
        plans = self.column_plans(name)
        wanted = [n for n in TABLES[name].names if n in columns]
        if not plans:  # not one contract column in the table (validation says which are missing)
            return self.stand_in(name, wanted)
        present = [n for n in wanted if n in plans] or [next(iter(plans))]
        texts = frozenset(t for t, _ in server)
        local, apply = None, []
        for cols, table in self._slices.get((name, texts), []):
            if set(present) <= cols:
                local = table
                break
        if local is None and texts:  # the whole table is here already: filter it here
            for cols, table in self._slices.get((name, frozenset()), []):
                if set(plans) <= cols:
                    local, apply = table, [t for t, _ in server]
                    break
        if local is None:
            plan = self._db.tables[name]
            stmt = (sa.select(*(plans[n].server.label(n) for n in present)).select_from(plan.clause)
                    .where(*(e for _, e in server)))
            local = self._db.fetch(self._con, stmt, [(n, plans[n].local_type) for n in present], name)
            self._slices.setdefault((name, texts), []).append((frozenset(present), local))
        if not apply:
            typed = ", ".join(f"{c.typed} AS {_ident(c.name)}" for c in info.columns if c.name in wanted)
            return self._con.sql(f"SELECT {typed} FROM {local}")
        typed = ", ".join(f"{c.typed} AS {_ident(c.name)}" for c in info.columns)
        rel = self._con.sql(f"SELECT {typed} FROM {local}")
        for text in apply:
            rel = rel.filter(text)
        return rel.project(", ".join(_ident(n) for n in wanted))

    def pushed(self, name: str, server: tuple, columns: list[str], sql: str,
               shape: list[tuple[str, object]]) -> duckdb.DuckDBPyRelation:
        """The result of `sql` (standard SQL over `lines`: the rows of `name` meeting
        `server`, of `columns`) computed by the database, typed as `shape` says."""
        import sqlalchemy as sa

        plans = self.column_plans(name)
        plan = self._db.tables[name]
        lines = (sa.select(*(plans[n].server.label(n) for n in columns)).select_from(plan.clause)
                 .where(*(e for _, e in server)).cte("lines"))
        stmt = sa.select(sa.literal_column("*")).select_from(sa.text(f"({sql}) AS pushed")).add_cte(lines)
        local = self._db.fetch(self._con, stmt, [(c, str(t)) for c, t in shape], name)
        return self._con.table(local)

    def _mirror(self, name: str) -> TableSQL:
        """Copy a database table into the connection and make its two views."""
        info = self._tables[name]
        if self._db is None or info.scan or info.error is not None:
            return info
        plans = self.column_plans(name)
        if plans:
            self.fetched(name, (), list(plans))
            info.scan = next(t for cols, t in self._slices[(name, frozenset())] if set(plans) <= cols)
        else:  # no contract column at all: an empty table of none
            info.scan = "(SELECT NULL AS _none WHERE false)"
        self._add(info)
        return info

    # -- per-format table readers ---------------------------------------------

    def _csv_table(self, name: str, path: Path) -> TableSQL:
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
        columns = "{" + ", ".join(f"{_lit(n)}: 'VARCHAR'" for n in names) + "}"
        info.scan = (
            f"read_csv({_lit(str(path))}, auto_detect = false, header = true, "
            f"all_varchar = true, delim = ',', quote = '\"', escape = '\"', "
            f"strict_mode = true, columns = {columns})"
        )
        info.source_columns = {n: "VARCHAR" for n in names}
        self._build_columns(info)
        return info

    def _parquet_table(self, name: str, path: Path) -> TableSQL:
        plain = f"read_parquet({_lit(str(path))})"
        try:
            described = self._con.execute(f"DESCRIBE SELECT * FROM {plain}").fetchall()
        except duckdb.Error as exc:
            info = TableSQL(name, str(path), "parquet", scan=plain, row="row_number() OVER ()")
            info.error = DataError(
                name, None, f"{path.name} is not a readable Parquet file: {_first_line(exc)}"
            )
            return info
        columns = {r[0]: r[1] for r in described}
        if "file_row_number" in columns:  # the reader's row number would clash
            info = TableSQL(name, str(path), "parquet", scan=plain, row="row_number() OVER ()")
        else:
            scan = f"read_parquet({_lit(str(path))}, file_row_number = true)"
            info = TableSQL(name, str(path), "parquet", scan=scan, row="(file_row_number + 1)")
        info.source_columns = columns
        self._build_columns(info)
        return info

    def _db_table(self, name: str, actual: str, table_type: str) -> TableSQL:
        ref = f"{_ATTACH_ALIAS}.main.{_ident(actual)}"
        is_base = table_type.upper() == "BASE TABLE"
        # rowid is the insertion order of a base table; a view has none.
        row = "(rowid + 1)" if is_base else "row_number() OVER ()"
        info = TableSQL(name, f"table {actual}", "duckdb", scan=ref, row=row)
        described = self._con.execute(f"DESCRIBE SELECT * FROM {ref}").fetchall()
        info.source_columns = {r[0]: r[1] for r in described}
        self._build_columns(info)
        return info

    def _build_columns(self, info: TableSQL) -> None:
        """Fill info.columns / info.missing from info.source_columns."""
        table = TABLES[info.name]
        lower = {n.lower().strip(): n for n in info.source_columns}
        for col in table.columns:
            sql_type = SQL_TYPES[col.type]
            if col.name not in info.source_columns:
                info.missing.append(col.name)
                near = lower.get(col.name.lower())
                if near is not None:
                    info.missing_hints[col.name] = near
                info.columns.append(
                    ColumnSQL(
                        col.name, col.type, False,
                        raw="CAST(NULL AS VARCHAR)",
                        typed=f"CAST(NULL AS {sql_type})",
                        native=True,
                    )
                )
                continue
            ident = _ident(col.name)
            stype = info.source_columns[col.name]
            raw = ident if stype.upper() == "VARCHAR" else f"CAST({ident} AS VARCHAR)"
            if stype.upper() == "VARCHAR":
                typed, native = text_to_typed(ident, col.type), col.type == TEXT
            else:
                direct = _native_expr(ident, stype, col.type)
                if direct is not None:
                    typed, native = direct, True
                else:
                    typed, native = text_to_typed(raw, col.type), False
            if col.type == TEXT and col.nullable:
                # '' is empty, as in a CSV (where it reads as NULL). A required
                # text column keeps the bare column (and Parquet filter push-down):
                # validation refuses '' there.
                typed = f"NULLIF({typed}, '')"
            info.columns.append(ColumnSQL(col.name, col.type, True, raw, typed, native))

    def _add(self, info: TableSQL) -> None:
        self._tables[info.name] = info
        if info.error is not None or not info.scan:
            return
        typed = ", ".join(f"{c.typed} AS {_ident(c.name)}" for c in info.columns)
        raw = ", ".join([f"{info.row} AS _row"] + [f"{c.raw} AS {_ident(c.name)}" for c in info.columns])
        self._con.execute(f"CREATE OR REPLACE VIEW {_ident(info.name)} AS SELECT {typed} FROM {info.scan}")
        self._con.execute(
            f"CREATE OR REPLACE VIEW {_ident(info.name + '__raw')} AS SELECT {raw} FROM {info.scan}"
        )

    # -- the public API --------------------------------------------------------

    @property
    def tables(self) -> list[str]:
        """The contract tables present in the source, in contract order."""
        return [n for n in TABLES if n in self._tables]

    def has(self, table: str) -> bool:
        """True when the source holds `table`."""
        return table in self._tables

    def table(self, name: str) -> duckdb.DuckDBPyRelation:
        """The typed view `name`: the contract's columns and types. (A database source
        gives a `database.ServerRows`, which fetches rows only when queried.)"""
        self._usable(name)
        if self._db is not None:
            from aftersales.source.database import ServerRows

            return ServerRows(self, name)
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
        return DataError(name, None, *_explain_read_error(where, exc))

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
        return f"{self.kind} {_mask_password(self.location)}"

    def fingerprint(self) -> str:
        """sha256 over the source's table files (names and contents); stable
        across runs and independent of where the folder lives."""
        if self._fingerprint is None:
            h = hashlib.sha256()
            if self.kind == "folder":
                for name in sorted(self._files):
                    _hash_file(h, self._files[name])
            elif self.kind == "duckdb":
                _hash_file(h, Path(self.location))
            elif self.kind == "database":  # every row, in any order: a database has no file
                for name in sorted(self.tables):
                    if self._tables[name].error is not None:
                        continue
                    summed = self._db.checksum(name)
                    if summed is not None:
                        h.update(f"{name}\0{summed[0]}\0{summed[1]}\0".encode())
                        continue
                    info = self._mirror(name)
                    cols = ", ".join(_ident(c.name) for c in info.columns)
                    count, total = self._con.execute(
                        f"SELECT count(*), sum(hash({cols})::HUGEINT) FROM {_ident(name)}").fetchall()[0]
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

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Source {self.describe()}>"


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _is_duckdb_file(path: Path) -> bool:
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


def _explain_read_error(where: str, exc: BaseException) -> tuple[str, list[int]]:
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
    return (f"{at} cannot be read: {_first_line(exc)}", rows)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _mask_password(url: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _hash_file(h, path: Path) -> None:
    h.update(path.name.encode("utf-8") + b"\0")
    h.update(str(path.stat().st_size).encode() + b"\0")
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
