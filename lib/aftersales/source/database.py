"""Read the contract's tables from a database: PostgreSQL (through psycopg), or any SQLAlchemy URL.

A database source gives the reports the same DuckDB relations a folder gives, but fetches
rows from the server only when a query needs them, and only what it needs:

- `rows.ServerRows` stands for a table's rows. Its ``filter`` turns a condition the server
  can evaluate exactly as DuckDB would (`pushdown.server_condition`) into the WHERE of the
  server's query; any other condition is applied by DuckDB to the rows fetched. The period
  filter of every report (``date_edit BETWEEN …``) is of the first kind, so it runs on the
  server, where the date column's index serves it.
- Each DuckDB query over a `rows.ServerRows` fetches only the columns it names; the rows
  land in the source's in-memory DuckDB connection and the query runs there, unchanged.
- A GROUP BY written in standard SQL (`grids.summed`) runs on the server itself.

This module holds the connection: `Database.connect` checks the credentials and finds the
contract's tables (`plans.TablePlan`, one `plans.ColumnPlan` per column), and
`Database.fetch` moves rows into DuckDB. Rows travel through PostgreSQL's
``COPY … TO STDOUT`` (CSV) into DuckDB's CSV reader with the columns' types given, which
keeps every value exact (floats are written in their shortest exact form); other
databases go through the driver's rows. `Database.clean` and `Database.checksum` let the
server answer validation and the fingerprint without sending its rows.

Passwords: a URL may hold them (see `url.parse_url`), but the URL shown and stored never does,
and every message is scrubbed of every secret the connection uses.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import tempfile
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import sqlalchemy as sa

from aftersales.source.contract import DATE, NUMBER, TABLES, TEXT, TIMESTAMP, DataError
from aftersales.source.limits import LINE_LIMIT, LINE_VALUES, NUMBER_LIMIT, YEARS
from aftersales.source.plans import EQUAL, TablePlan, plan_column
from aftersales.source.sql import SOURCE, ident, literal
from aftersales.source.url import explain, parse_url, secrets_of, shown_url

__all__ = ["Database", "ServerError", "NULL_MARK", "CONNECT_TIMEOUT"]

#: Seconds to wait for a server before calling it unreachable.
CONNECT_TIMEOUT = 10
#: The CSV null marker of the COPY transfers (an empty field is an empty text).
NULL_MARK = r"\N"


class Database:
    """A connection pool to one database and the contract tables found in it."""

    def __init__(self, shown: sa.URL, engine: sa.Engine, schema: str, password: str | None,
                 secrets: tuple[str, ...] = ()):
        self.url = shown
        self.engine = engine
        self.schema = schema
        self.password = password
        #: every secret the connection uses (the password, sslpassword…): no message shows them
        self.secrets = tuple(dict.fromkeys(((password,) if password else ()) + tuple(secrets)))
        self.tables: dict[str, TablePlan] = {}
        #: The SQL sent to the server, newest last (for tests and for anyone curious).
        self.statements: list[str] = []
        self._serial = 0
        self._lock = threading.Lock()

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @property
    def display(self) -> str:
        """The URL (never with a password) and the schema."""
        text = shown_url(self.url)
        return f"{text} (schema {self.schema})" if self.schema else text

    def where(self, table: str) -> str:
        """Where a table is, for messages: `table <schema>.<name> in <URL>`."""
        plan = self.tables.get(table)
        name = plan.qualified if plan else (f"{self.schema}.{table}" if self.schema else table)
        return f"table {name}"

    def fail(self, exc: BaseException, table: str | None = None) -> DataError:
        return DataError(table or SOURCE, None, explain(exc, self.url, self.secrets))

    # -- opening --------------------------------------------------------------------
    @classmethod
    def connect(cls, text: str, settings: Mapping[str, Any] | None = None, *, schema: str | None = None,
                find: bool = True) -> "Database":
        """Connect, check the credentials and (with `find`) find the contract's tables in the
        schema (`schema`, else the URL's ``?schema=``, else the settings'); clear errors, no traceback."""
        shown, url, schema, password = parse_url(text, settings, schema)
        secrets = secrets_of(url)
        args: dict[str, Any] = {}
        if url.get_backend_name() == "postgresql":
            args = {"connect_timeout": CONNECT_TIMEOUT, "application_name": "aftersales",
                    # ISO dates and floats written in their shortest exact form, whatever the server's defaults
                    "options": "-c DateStyle=ISO,YMD -c extra_float_digits=3"}
        try:
            engine = sa.create_engine(url, connect_args=args, pool_pre_ping=False)
        except Exception as exc:  # an unknown dialect, a driver that is not installed
            raise DataError(SOURCE, None, explain(exc, shown, secrets)) from None
        db = cls(shown, engine, schema, password, secrets)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
                if find:
                    db._find_tables(conn)
        except DataError:
            db.close()
            raise
        except Exception as exc:
            db.close()
            raise DataError(SOURCE, None, explain(exc, shown, secrets)) from None
        return db

    def _find_tables(self, conn: sa.Connection) -> None:
        inspector = sa.inspect(conn)
        schema = self.schema or None
        if schema is not None and schema not in inspector.get_schema_names():
            raise DataError(SOURCE, None, f"the schema {schema!r} does not exist in {shown_url(self.url)}")
        names = list(inspector.get_table_names(schema=schema)) + list(inspector.get_view_names(schema=schema))
        exact = set(names)
        lower = {n.lower(): n for n in names}
        wanted = {}
        for name in TABLES:
            actual = name if name in exact else lower.get(name)
            if actual is not None:
                wanted[actual] = name
        if not wanted:
            return
        columns = inspector.get_multi_columns(schema=schema, filter_names=list(wanted),
                                              kind=sa.engine.reflection.ObjectKind.ANY)
        for (_, actual), described in columns.items():
            name = wanted.get(actual)
            if name is None:
                continue
            found = {c["name"]: c["type"] for c in described}
            present = [c for c in TABLES[name].columns if c.name in found]
            clause = sa.table(actual, *(sa.column(c.name, found[c.name]) for c in present), schema=schema)
            plan = TablePlan(name, actual, schema, clause,
                             types={n: str(t) for n, t in found.items()})
            for col in present:
                plan.columns[col.name] = plan_column(col.name, col.type, col.nullable, clause.c[col.name],
                                                     found[col.name])
            self.tables[name] = plan

    # -- reading --------------------------------------------------------------------
    def count(self, table: str) -> int:
        plan = self.tables[table]
        stmt = sa.select(sa.func.count()).select_from(sa.table(plan.actual, schema=plan.schema))
        try:
            with self.engine.connect() as conn:
                self._log(stmt)
                return int(conn.execute(stmt).scalar_one())
        except Exception as exc:
            raise self.fail(exc, table) from None

    def clean(self, table: str) -> bool | None:
        """True when the server finds none of validation's row and key problems in `table`,
        False when it finds some, None when only DuckDB can tell (a column the database holds
        as text for another type, or a text-format rule such as targets.month).

        Only a clean table is taken on the server's word: any other is copied into DuckDB and
        checked there, so the messages are those of every source.
        """
        plan, contract = self.tables[table], TABLES[table]
        cols = plan.columns
        flags = []
        for col in contract.columns:
            p = cols.get(col.name)
            if p is None:
                continue  # reported as a missing column
            if not p.native:
                return None
            if not col.nullable:
                flags.append(sa.or_(p.server.is_(None), p.server == "") if col.type == TEXT else p.server.is_(None))
            if col.type == NUMBER:  # too large for the exact sums (NaN and infinities compare above any number)
                flags.append(sa.func.abs(p.server) >= NUMBER_LIMIT)
            elif col.type in (DATE, TIMESTAMP):  # outside the years a date may fall in
                low, high = (dt.date(YEARS[0], 1, 1), dt.date(YEARS[1] + 1, 1, 1))
                if col.type == TIMESTAMP:
                    low, high = dt.datetime.combine(low, dt.time()), dt.datetime.combine(high, dt.time())
                flags.append(sa.or_(p.server < low, p.server >= high))
            if col.allowed:
                if p.kind != EQUAL:
                    return None
                flags.append(sa.and_(p.server.is_not(None), p.server != "", p.server.not_in(col.allowed)))
        if "month_format" in contract.checks and "month" in cols:
            return None
        for factors, divisor in LINE_VALUES.get(table, ()):
            if all(f in cols for f in factors):
                product = functools.reduce(lambda a, b: a * b, [sa.cast(cols[f].server, sa.Float) for f in factors])
                flags.append(sa.func.abs(product / divisor) >= LINE_LIMIT)
        if "clock_out_before_clock_in" in contract.checks and {"clock_in", "clock_out"} <= set(cols):
            flags.append(cols["clock_out"].server < cols["clock_in"].server)
        statements = []
        if flags:
            statements.append(sa.select(sa.func.count()).select_from(plan.clause).where(sa.or_(*flags)))
        if contract.key and all(k in cols for k in contract.key):
            keys = [cols[k].server for k in contract.key]
            dupes = sa.select(*keys).select_from(plan.clause).group_by(*keys).having(sa.func.count() > 1)
            statements.append(sa.select(sa.func.count()).select_from(dupes.limit(1).subquery()))
        try:
            with self.engine.connect() as conn:
                for stmt in statements:
                    self._log(stmt)
                    if conn.execute(stmt).scalar_one():
                        return False
        except Exception as exc:
            raise self.fail(exc, table) from None
        return True

    def checksum(self, table: str) -> tuple[int, int] | None:
        """(rows, an order-free sum of every row's hash) of `table`'s contract columns, computed by
        PostgreSQL; None on other databases."""
        plan = self.tables[table]
        if not self.is_postgres or not plan.columns:
            return None
        typed = sa.select(*(p.server.label(n) for n, p in plan.columns.items())).select_from(plan.clause)
        inner = typed.compile(dialect=self.engine.dialect, compile_kwargs={"render_postcompile": True})
        # hashtextextended: PostgreSQL's own stable text hash (that of hash partitions), 11 and later
        sql = (f"SELECT count(*), coalesce(sum(hashtextextended(CAST(r AS text), 0)), 0) FROM ({inner.string}) AS r")
        self._log_text(sql, inner.params)
        try:
            with self.engine.connect() as conn:
                count, total = conn.exec_driver_sql(sql, inner.params or {}).one()
        except Exception as exc:
            raise self.fail(exc, table) from None
        return int(count), int(total)

    def fetch(self, con: duckdb.DuckDBPyConnection, stmt: Any, types: Sequence[tuple[str, str]],
              table: str | None = None) -> str:
        """Run `stmt` on the server; its rows land in a new table of `con` (named in the
        return value) whose columns are `types` (name, DuckDB type), in that order."""
        with self._lock:
            self._serial += 1
            local = f"__db_{self._serial}"
        try:
            if self.is_postgres:
                self._copy_into(con, stmt, types, local)
            else:
                self._rows_into(con, stmt, types, local)
        except (duckdb.Error, DataError):
            raise
        except Exception as exc:  # the server or the connection failed
            raise self.fail(exc, table) from None
        return local

    def _copy_into(self, con, stmt, types, local: str) -> None:
        import psycopg

        compiled = stmt.compile(dialect=self.engine.dialect, compile_kwargs={"render_postcompile": True})
        handle, path = tempfile.mkstemp(prefix="aftersales-db-", suffix=".csv")
        os.close(handle)
        spec = "{" + ", ".join(f"{literal(n)}: {literal(t)}" for n, t in types) + "}"
        try:
            with self.engine.connect() as conn:
                raw = conn.connection.driver_connection
                query = psycopg.ClientCursor(raw).mogrify(compiled.string, compiled.params or {})
                sql = f"COPY ({query}) TO STDOUT (FORMAT csv, NULL '{NULL_MARK}')"
                self.statements.append(sql)
                _copy_out(raw.pgconn, sql.encode(raw.info.encoding), path)
            con.execute(
                f"CREATE TABLE {local} AS SELECT * FROM read_csv({literal(path)}, header = false, auto_detect = false, "
                f"delim = ',', quote = '\"', escape = '\"', nullstr = {literal(NULL_MARK)}, "
                f"allow_quoted_nulls = false, columns = {spec})"
            )
        finally:
            os.remove(path)

    def _rows_into(self, con, stmt, types, local: str) -> None:
        import pandas as pd

        self._log(stmt)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).fetchall()
        frame = pd.DataFrame.from_records([tuple(r) for r in rows], columns=[n for n, _ in types])
        for name, _ in types:  # objects DuckDB can read whatever the driver gave
            frame[name] = frame[name].astype("object")
        con.register(f"{local}__frame", frame)
        casts = ", ".join(f"CAST({ident(n)} AS {t}) AS {ident(n)}" for n, t in types)
        try:
            con.execute(f"CREATE TABLE {local} AS SELECT {casts} FROM {local}__frame")
        finally:
            con.unregister(f"{local}__frame")

    def _log(self, stmt) -> None:
        compiled = stmt.compile(dialect=self.engine.dialect, compile_kwargs={"render_postcompile": True})
        self._log_text(compiled.string, compiled.params)

    def _log_text(self, sql: str, params: Mapping | None) -> None:
        shown = sql
        for key, value in (params or {}).items():
            shown = shown.replace(f"%({key})s", repr(value)).replace(f":{key}", repr(value))
        self.statements.append(shown)

    def close(self) -> None:
        self.engine.dispose()


class ServerError(Exception):
    """An error the server sent during a COPY (with its SQLSTATE, like a driver's errors)."""

    def __init__(self, message: str, sqlstate: str | None):
        super().__init__(message)
        self.sqlstate = sqlstate


def _copy_out(pgconn, sql: bytes, path: str) -> None:
    """Run ``COPY … TO STDOUT`` on a libpq connection and write its data to `path`.

    libpq hands over one message per row; reading them here, in a loop at the protocol
    level and written in large blocks, is about three times as fast as a cursor's copy
    iterator (which pays its machinery per row)."""
    from psycopg import pq

    def failed(result) -> ServerError:
        message = (result.error_message if result is not None else pgconn.error_message) or b"COPY failed"
        state = result.error_field(pq.DiagnosticField.SQLSTATE) if result is not None else None
        return ServerError(bytes(message).decode("utf-8", "replace").strip(),
                           bytes(state).decode() if state else None)

    if not pgconn.send_query(sql) and pgconn.status != pq.ConnStatus.OK:  # pragma: no cover
        raise failed(None)
    result = pgconn.get_result()
    if result is None or result.status != pq.ExecStatus.COPY_OUT:
        error = failed(result)
        while pgconn.get_result() is not None:
            pass
        raise error
    with open(path, "wb") as out:
        chunk: list = []
        while True:
            size, data = pgconn.get_copy_data(0)
            if size == -1:
                break
            if size == -2:
                raise failed(None)
            chunk.append(data)
            if len(chunk) >= 8192:
                out.write(b"".join(chunk))
                chunk.clear()
        out.write(b"".join(chunk))
    result = pgconn.get_result()
    while pgconn.get_result() is not None:
        pass
    if result is None or result.status != pq.ExecStatus.COMMAND_OK:
        raise failed(result)
