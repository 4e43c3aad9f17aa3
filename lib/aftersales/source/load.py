"""`aftersales load SRC --into URL`: copy a source's tables into a database, typed, keyed and indexed.

The source (a folder, a DuckDB file or another database) is checked against the contract
first: a load never stores rows the reports would refuse. Then, in one transaction (a
failed load leaves the database as it was), each table is created with

- the contract's types (`COLUMN_TYPES`: text, double precision, bigint, date, timestamp,
  boolean) and NOT NULL where the contract requires a value;
- its key (SPEC §2) as the primary key — except labour_lines, whose key
  wip_no + line_no + technician has a nullable column, which a primary key cannot hold: a
  unique index treating empty technicians as equal (``NULLS NOT DISTINCT``, PostgreSQL 15
  and later; before, and on other databases, a unique index on
  ``COALESCE(technician, '')``);
- an index on the date column each report filters its period on (`INDEXED`);

and filled in the source's row order, streamed with PostgreSQL's COPY (other databases:
batched INSERTs), with a progress line every `PROGRESS_ROWS` rows.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from aftersales.source.contract import BOOLEAN, DATE, INTEGER, NUMBER, TABLES, TEXT, TIMESTAMP, DataError
from aftersales.source.database import NULL_MARK, Database
from aftersales.source.reader import Source
from aftersales.source.url import explain
from aftersales.source.validate import check

__all__ = ["load", "COLUMN_TYPES", "INDEXED"]

#: The database type of each contract type (contract.SQL_TYPES, as SQLAlchemy writes it for the
#: database: TEXT, DOUBLE PRECISION, BIGINT, DATE, TIMESTAMP, BOOLEAN on PostgreSQL).
COLUMN_TYPES = {
    TEXT: sa.Text,
    NUMBER: sa.Double,
    INTEGER: sa.BigInteger,
    DATE: sa.Date,
    TIMESTAMP: sa.DateTime,
    BOOLEAN: sa.Boolean,
}

#: The columns indexed for the reports' period filters.
INDEXED: dict[str, tuple[str, ...]] = {
    **{name: (t.date_column,) for name, t in TABLES.items() if t.date_column},
    "clockings": ("clock_in",),
}

#: Rows between two progress lines (and per INSERT batch on databases other than PostgreSQL).
PROGRESS_ROWS = 100_000


def _table(name: str, metadata: sa.MetaData, schema: str | None, present: set[str] | None = None) -> sa.Table:
    """The table's definition: types, NOT NULL, and its key when every key column is required; an
    optional column (SPEC §6.1) only when the source has it."""
    table = TABLES[name]
    columns = [sa.Column(c.name, COLUMN_TYPES[c.type](), nullable=c.nullable) for c in table.columns
               if not c.optional or present is None or c.name in present]
    constraints = []
    if table.key and not any(table.column(k).nullable or table.column(k).optional for k in table.key):
        constraints.append(sa.PrimaryKeyConstraint(*table.key, name=f"{name}_pkey"))
    return sa.Table(name, metadata, *columns, *constraints, schema=schema)


def _indexes(table: sa.Table, name: str, nulls_not_distinct: bool) -> list[sa.Index]:
    out = [sa.Index(f"{name}_{col}_idx", table.c[col]) for col in INDEXED.get(name, ())]
    key = [k for k in TABLES[name].key if k in table.c]  # an absent optional key column is empty on every row
    if key and any(TABLES[name].column(k).nullable for k in key):
        if nulls_not_distinct:
            out.append(sa.Index(f"{name}_key", *(table.c[k] for k in key), unique=True,
                                postgresql_nulls_not_distinct=True))
        else:
            parts = [sa.func.coalesce(table.c[k], "") if TABLES[name].column(k).nullable else table.c[k] for k in key]
            out.append(sa.Index(f"{name}_key", *parts, unique=True))
    return out


def load(source: str, into: str, *, replace: bool = False, schema: str = "",
         settings: Mapping[str, Any] | None = None,
         progress: Callable[[str], None] = lambda _: None) -> dict[str, int]:
    """Copy every contract table of `source` into the database `into` (in `schema`); returns
    the rows copied per table. Existing tables are an error unless `replace`."""
    started = time.monotonic()
    with Source.open(source, settings) as src:
        progress(f"checking {src.describe()}")
        check(src)
        db = Database.connect(into, settings, schema=schema, find=False)
        try:
            return _copy_all(src, db, replace, progress, started)
        finally:
            db.close()


def _copy_all(src: Source, db: Database, replace: bool, progress, started: float) -> dict[str, int]:
    schema = db.schema or None
    where = f"schema {schema} of " if schema else ""
    rows: dict[str, int] = {}
    try:
        with db.engine.begin() as conn:
            if schema:
                conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {conn.dialect.identifier_preparer.quote(schema)}")
            inspector = sa.inspect(conn)
            tables = set(inspector.get_table_names(schema=schema))
            views = set(inspector.get_view_names(schema=schema))
            metadata = sa.MetaData()
            made = {}
            for name in src.tables:
                if name in views:
                    raise DataError(name, None, f"{where}{db.display} has a view named {name}: "
                                                "drop it or load into another schema")
                if name in tables:
                    if not replace:
                        raise DataError(name, None, f"the table exists already in {where}{db.display}: "
                                                    "give --replace to drop and load it again")
                    conn.execute(sa.schema.DropTable(sa.Table(name, sa.MetaData(), schema=schema)))
                made[name] = _table(name, metadata, schema,
                                    {c for c in TABLES[name].all_names if src.has_column(name, c)})
                made[name].create(conn)
            for name, table in made.items():
                rows[name] = _copy_table(src, db, conn, table, name, progress)
            nulls_not_distinct = db.is_postgres and conn.dialect.server_version_info >= (15,)
            progress("indexing the date columns and the keys")
            for name, table in made.items():
                for index in _indexes(table, name, nulls_not_distinct):
                    index.create(conn)
            if db.is_postgres:
                for table in made.values():
                    conn.exec_driver_sql(f"ANALYZE {conn.dialect.identifier_preparer.format_table(table)}")
    except sa.exc.SQLAlchemyError as exc:  # the server refused (rights, space, a dependent view …)
        raise DataError("load", None, explain(exc, db.url, db.password)) from None
    total = sum(rows.values())
    progress(f"loaded {len(rows)} tables, {total:,} rows into {where}{db.display} in "
             f"{time.monotonic() - started:.1f} s")
    return rows


def _copy_table(src: Source, db: Database, conn: sa.Connection, table: sa.Table, name: str, progress) -> int:
    started = time.monotonic()
    rel = src.table(name)
    rel = rel.relation() if hasattr(rel, "pushdown") else rel
    expected = int(rel.aggregate("count(*)").fetchall()[0][0])
    progress(f"{name}: copying {expected:,} rows")
    names = [c.name for c in table.columns]
    if db.is_postgres:
        copied = _copy_postgres(rel, conn, table, names, name, expected, progress)
    else:
        copied = _insert_batches(src, rel, conn, table, names, name, expected, progress)
    progress(f"{name}: {copied:,} rows in {time.monotonic() - started:.1f} s")
    return copied


def _copy_postgres(rel, conn: sa.Connection, table: sa.Table, names, name: str, expected: int, progress) -> int:
    """Write the rows as CSV (DuckDB), then stream the file into COPY … FROM STDIN."""
    folder = tempfile.mkdtemp(prefix="aftersales-load-")
    path = os.path.join(folder, f"{name}.csv")
    try:
        rel.project(", ".join(f'"{n}"' for n in names)).write_csv(path, header=False, na_rep=NULL_MARK)
        target = conn.dialect.identifier_preparer.format_table(table)
        cols = ", ".join(conn.dialect.identifier_preparer.quote(n) for n in names)
        cursor = conn.connection.driver_connection.cursor()
        done, shown = 0, 0
        with open(path, "rb") as f, cursor.copy(
                f"COPY {target} ({cols}) FROM STDIN (FORMAT csv, NULL '{NULL_MARK}')") as copy:
            while block := f.read(1 << 20):
                copy.write(block)
                done += block.count(b"\n")
                if done - shown >= PROGRESS_ROWS and done < expected:
                    shown = done - done % PROGRESS_ROWS
                    progress(f"{name}: {shown:,} of {expected:,} rows")
        return cursor.rowcount if cursor.rowcount >= 0 else expected
    finally:
        os.remove(path) if os.path.exists(path) else None
        os.rmdir(folder)


def _insert_batches(src: Source, rel, conn: sa.Connection, table: sa.Table, names, name: str, expected: int,
                    progress) -> int:
    done = 0
    rel.create_view(f"__load_{name}", replace=True)
    reader = src.execute(f'SELECT {", ".join(f"{chr(34)}{n}{chr(34)}" for n in names)} FROM "__load_{name}"')
    while batch := reader.fetchmany(PROGRESS_ROWS):
        conn.execute(table.insert(), [dict(zip(names, row)) for row in batch])
        done += len(batch)
        if done < expected:
            progress(f"{name}: {done:,} of {expected:,} rows")
    return done
