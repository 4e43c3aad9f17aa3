"""Read the contract's tables from a database: PostgreSQL (through psycopg), or any SQLAlchemy URL.

A database source gives the reports the same DuckDB relations a folder gives, but fetches
rows from the server only when a query needs them, and only what it needs:

- `ServerRows` stands for a table's rows. Its ``filter`` turns a condition the server can
  evaluate exactly as DuckDB would (a date, number or boolean column compared with a
  constant, a text column equal to or in a list of texts, ``IS NULL``, ``COALESCE(col, '')``
  and AND / OR / NOT of those — `server_condition`) into the WHERE of the server's query;
  any other condition is applied by DuckDB to the rows fetched. The period filter of every
  report (``date_edit BETWEEN …``) is of the first kind, so it runs on the server, where
  the date column's index serves it.
- Each DuckDB query over a `ServerRows` fetches only the columns it names
  (`ServerRows.query`); the rows land in the source's in-memory DuckDB connection and
  the query runs there, unchanged. A fetch is kept for the next query that needs no more.
- A GROUP BY written in standard SQL (`grids.summed`: the sales grids, built from the line
  formulas of `formulas.py`) runs on the server itself (`ServerRows.pushdown`): the server
  sums, DuckDB orders the few rows that come back. One formula text serves both paths.

Rows travel through PostgreSQL's ``COPY … TO STDOUT`` (CSV) into DuckDB's CSV reader with
the columns' types given, which keeps every value exact (floats are written in their
shortest exact form); other databases go through the driver's rows.

Passwords: never in the URL (a run writes the URL into its manifest and notebooks); libpq
reads ``PGPASSWORD``, and for any database the variable named by the ``source.password_env``
setting is used. Every message is scrubbed of the password all the same.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import os
import re
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import sqlalchemy as sa
from sqlalchemy.sql import sqltypes

from aftersales.source.contract import BOOLEAN, DATE, INTEGER, NUMBER, TABLES, TEXT, TIMESTAMP, DataError

__all__ = ["Database", "ServerRows", "server_condition", "DEFAULT_PASSWORD_ENV"]

SOURCE = "source"
#: The environment variable holding the password when the settings name none.
DEFAULT_PASSWORD_ENV = "AFTERSALES_DB_PASSWORD"
#: Seconds to wait for a server before calling it unreachable.
CONNECT_TIMEOUT = 10
#: The CSV null marker of the COPY transfers (an empty field is an empty text).
NULL_MARK = r"\N"

_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


# ---------------------------------------------------------------------------
# URLs, connections and their errors
# ---------------------------------------------------------------------------


def _display(url: sa.URL) -> str:
    return url.render_as_string(hide_password=True)


def parse_url(text: str, settings: Mapping[str, Any] | None = None,
              schema: str | None = None) -> tuple[sa.URL, sa.URL, str, str | None]:
    """(the URL to show, the URL to connect with, the schema, the password) of a source URL.

    The schema is the URL's ``?schema=`` or the settings' ``source.schema`` ("" for the
    database's default); the password comes from the environment, never from the URL.
    """
    try:
        url = sa.engine.make_url(text)
    except Exception:
        raise DataError(SOURCE, None, f"{_mask(text)} is not a database URL "
                                      "(e.g. postgresql://user@host:5432/database)") from None
    if url.password is not None:
        raise DataError(
            SOURCE, None,
            f"the database URL {_display(url)} holds a password: give the URL without it "
            f"({_display(_without_password(url))}) and the password in PGPASSWORD or in the "
            "environment variable named by the source.password_env setting (a run writes the "
            "URL into its manifest and notebooks)",
        )
    section = dict((settings or {}).get("source") or {})
    query = dict(url.query)
    given = query.pop("schema", None)
    if isinstance(given, tuple):
        given = given[-1]
    if schema is None:
        schema = given if given is not None else str(section.get("schema") or "")
    shown = url.set(query=query)
    driver = _DRIVERS.get(url.drivername, url.drivername)
    connect = shown.set(drivername=driver)
    env = str(section.get("password_env") or DEFAULT_PASSWORD_ENV)
    password = os.environ.get(env) or None
    if password is not None:
        connect = connect.set(password=password)
    return shown, connect, schema, password


def _without_password(url: sa.URL) -> sa.URL:
    return sa.engine.URL.create(url.drivername, url.username, None, url.host, url.port, url.database, url.query)


def _mask(text: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", text)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def explain(exc: BaseException, url: sa.URL, password: str | None = None) -> str:
    """One clear sentence for a failure to reach or use the database (never the password)."""
    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None) or ""
    text = str(orig).strip()
    low = text.lower()
    where = f"{url.host or 'localhost'}:{url.port or 5432}" if url.get_backend_name() == "postgresql" else _display(url)
    user = url.username or "(the current user)"
    detail = text.splitlines()[0] if text else type(orig).__name__
    for line in text.splitlines():  # libpq: 'connection failed: …' then the reason
        if "failed:" in line or "refused" in line.lower() or "timeout" in line.lower():
            detail = line.strip()
    if state == "28P01" or "password authentication failed" in low:
        out = (f"the database server at {where} refused the credentials of user {user} "
               "(password authentication failed): check the user name and the password in PGPASSWORD "
               "or the environment variable named by source.password_env")
    elif state == "28000" or "no pg_hba.conf entry" in low or ("role" in low and "does not exist" in low):
        out = f"the database server at {where} refused the connection of user {user}: {detail}"
    elif "no password supplied" in low:
        out = (f"the database server at {where} asks user {user} for a password and none was given: "
               "set PGPASSWORD or the environment variable named by source.password_env")
    elif state == "3D000" or ("database" in low and "does not exist" in low):
        out = f"the database {url.database!r} does not exist on the server at {where}"
    elif state == "42501" or "permission denied" in low:
        out = f"user {user} may not read this on the server at {where}: {detail}"
    elif any(w in low for w in ("connection refused", "could not translate host", "timeout expired", "timed out",
                                "no route to host", "network is unreachable", "could not connect",
                                "connection failed", "name or service not known", "server closed the connection")):
        out = (f"cannot reach the database server at {where} ({detail}): check the host and the port, "
               "and that the server runs and accepts connections")
    elif isinstance(exc, (ModuleNotFoundError, sa.exc.NoSuchModuleError)):
        out = f"no driver is installed for {url.drivername} URLs ({_first_line(exc)})"
    else:
        out = f"the database at {where} failed: {detail}"
    return scrub(out, password)


def scrub(text: str, password: str | None) -> str:
    text = _mask(text)
    return text.replace(password, "***") if password else text


# ---------------------------------------------------------------------------
# How each contract column is read from the server
# ---------------------------------------------------------------------------

#: How a column may appear in a condition sent to the server.
ORDERED, EQUAL, FLAG = "ordered", "equal", "flag"


@dataclass
class ColumnPlan:
    """One contract column as the server gives it."""

    name: str
    ctype: str
    server: Any  # SQLAlchemy expression: the value as the contract types it
    local_type: str  # DuckDB type of the fetched value
    native: bool  # the server's type holds the contract's type (no text to parse)
    kind: str | None  # ORDERED / EQUAL / FLAG: the comparisons the server evaluates like DuckDB


def _plan(name: str, ctype: str, nullable: bool, column: Any, stype: Any) -> ColumnPlan:
    """The server expression of a column: a cast only where the server's type differs."""
    def as_text() -> ColumnPlan:
        expr = column if isinstance(stype, sqltypes.String) else sa.cast(column, sa.Text)
        return ColumnPlan(name, ctype, expr, "VARCHAR", False, None)

    if ctype == TEXT:
        if isinstance(stype, sqltypes.String):
            # CHAR(n) compares ignoring trailing blanks on the server, not in DuckDB
            kind = None if isinstance(stype, sqltypes.CHAR) else EQUAL
            expr = column
        else:
            kind, expr = None, sa.cast(column, sa.Text)
        if nullable:  # '' is empty, as in a CSV file
            expr = sa.func.nullif(expr, "")
        return ColumnPlan(name, ctype, expr, "VARCHAR", True, kind)
    if ctype == NUMBER and isinstance(stype, (sqltypes.Float, sqltypes.Numeric, sqltypes.Integer)):
        exact = isinstance(stype, sqltypes.Double) or (isinstance(stype, sqltypes.Float)
                                                       and getattr(stype, "precision", None) == 53)
        expr = column if exact else sa.cast(column, sa.Double)
        return ColumnPlan(name, ctype, expr, "DOUBLE", True, ORDERED)
    if ctype == INTEGER and isinstance(stype, sqltypes.Integer):
        expr = column if isinstance(stype, sqltypes.BigInteger) else sa.cast(column, sa.BigInteger)
        return ColumnPlan(name, ctype, expr, "BIGINT", True, ORDERED)
    if ctype == DATE and isinstance(stype, sqltypes.Date) and not isinstance(stype, sqltypes.DateTime):
        return ColumnPlan(name, ctype, column, "DATE", True, ORDERED)
    if ctype == TIMESTAMP and isinstance(stype, sqltypes.DateTime) and not getattr(stype, "timezone", False):
        return ColumnPlan(name, ctype, column, "TIMESTAMP", True, ORDERED)
    if ctype == BOOLEAN and isinstance(stype, sqltypes.Boolean):
        return ColumnPlan(name, ctype, column, "BOOLEAN", True, FLAG)
    return as_text()  # parsed by DuckDB like a CSV file's text, and checked by validation


@dataclass
class TablePlan:
    """One contract table found in the database."""

    name: str  # contract name
    actual: str  # name in the database
    schema: str | None
    clause: Any  # sa.table(...) of the present contract columns
    columns: dict[str, ColumnPlan] = field(default_factory=dict)  # present contract columns
    types: dict[str, str] = field(default_factory=dict)  # every column of the table → its type (messages)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.actual}" if self.schema else self.actual


# ---------------------------------------------------------------------------
# The database
# ---------------------------------------------------------------------------


class Database:
    """A connection pool to one database and the contract tables found in it."""

    def __init__(self, shown: sa.URL, engine: sa.Engine, schema: str, password: str | None):
        self.url = shown
        self.engine = engine
        self.schema = schema
        self.password = password
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
        text = _display(self.url)
        return f"{text} (schema {self.schema})" if self.schema else text

    def where(self, table: str) -> str:
        """Where a table is, for messages: `table <schema>.<name> in <URL>`."""
        plan = self.tables.get(table)
        name = plan.qualified if plan else (f"{self.schema}.{table}" if self.schema else table)
        return f"table {name}"

    def fail(self, exc: BaseException, table: str | None = None) -> DataError:
        return DataError(table or SOURCE, None, explain(exc, self.url, self.password))

    # -- opening --------------------------------------------------------------------
    @classmethod
    def connect(cls, text: str, settings: Mapping[str, Any] | None = None, *, schema: str | None = None,
                find: bool = True) -> "Database":
        """Connect, check the credentials and (with `find`) find the contract's tables in the
        schema (`schema`, else the URL's ``?schema=``, else the settings'); clear errors, no traceback."""
        shown, url, schema, password = parse_url(text, settings, schema)
        args: dict[str, Any] = {}
        if url.get_backend_name() == "postgresql":
            args = {"connect_timeout": CONNECT_TIMEOUT, "application_name": "aftersales",
                    # ISO dates and floats written in their shortest exact form, whatever the server's defaults
                    "options": "-c DateStyle=ISO,YMD -c extra_float_digits=3"}
        try:
            engine = sa.create_engine(url, connect_args=args, pool_pre_ping=False)
        except Exception as exc:  # an unknown dialect, a driver that is not installed
            raise DataError(SOURCE, None, explain(exc, shown, password)) from None
        db = cls(shown, engine, schema, password)
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
            raise DataError(SOURCE, None, explain(exc, shown, password)) from None
        return db

    def _find_tables(self, conn: sa.Connection) -> None:
        inspector = sa.inspect(conn)
        schema = self.schema or None
        if schema is not None and schema not in inspector.get_schema_names():
            raise DataError(SOURCE, None, f"the schema {schema!r} does not exist in {_display(self.url)}")
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
                plan.columns[col.name] = _plan(col.name, col.type, col.nullable, clause.c[col.name], found[col.name])
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
            if col.allowed:
                if p.kind != EQUAL:
                    return None
                flags.append(sa.and_(p.server.is_not(None), p.server != "", p.server.not_in(col.allowed)))
        if "month_format" in contract.checks and "month" in cols:
            return None
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
        spec = "{" + ", ".join(f"{_lit(n)}: {_lit(t)}" for n, t in types) + "}"
        try:
            with self.engine.connect() as conn:
                raw = conn.connection.driver_connection
                query = psycopg.ClientCursor(raw).mogrify(compiled.string, compiled.params or {})
                sql = f"COPY ({query}) TO STDOUT (FORMAT csv, NULL '{NULL_MARK}')"
                self.statements.append(sql)
                _copy_out(raw.pgconn, sql.encode(raw.info.encoding), path)
            con.execute(
                f"CREATE TABLE {local} AS SELECT * FROM read_csv({_lit(path)}, header = false, auto_detect = false, "
                f"delim = ',', quote = '\"', escape = '\"', nullstr = {_lit(NULL_MARK)}, "
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
        casts = ", ".join(f"CAST({_ident(n)} AS {t}) AS {_ident(n)}" for n, t in types)
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


# ---------------------------------------------------------------------------
# Conditions the server evaluates exactly as DuckDB does
# ---------------------------------------------------------------------------

_PARSER = threading.local()

_COMPARE = {
    "COMPARE_EQUAL": "==", "COMPARE_NOTEQUAL": "!=", "COMPARE_LESSTHAN": "<",
    "COMPARE_GREATERTHAN": ">", "COMPARE_LESSTHANOREQUALTO": "<=", "COMPARE_GREATERTHANOREQUALTO": ">=",
}
_FLIP = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
_OPERATORS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, ">": operator.gt,
              "<=": operator.le, ">=": operator.ge}


def _parse(condition: str) -> dict | None:
    """DuckDB's parse tree of a WHERE condition, or None when it is not one plain condition."""
    con = getattr(_PARSER, "con", None)
    if con is None:
        con = _PARSER.con = duckdb.connect(":memory:")
    try:
        text = con.execute("SELECT json_serialize_sql(?)", ["SELECT 1 WHERE " + condition]).fetchall()[0][0]
    except duckdb.Error:
        return None
    tree = json.loads(text)
    if tree.get("error") or len(tree.get("statements", [])) != 1:
        return None
    node = tree["statements"][0]["node"]
    if node.get("type") != "SELECT_NODE" or node.get("from_table", {}).get("type") not in (None, "EMPTY"):
        return None
    return node.get("where_clause")


class _NotPortable(Exception):
    pass


def server_condition(condition: str, columns: Mapping[str, ColumnPlan]) -> Any | None:
    """The SQLAlchemy expression of a DuckDB condition over the typed columns, when the
    server evaluates it exactly as DuckDB does; None otherwise (DuckDB then applies it).

    Constants become bound parameters: the condition's text never reaches the server.
    """
    tree = _parse(condition)
    if tree is None:
        return None
    try:
        return _boolean(tree, columns)
    except (_NotPortable, KeyError, ValueError, TypeError, sa.exc.ArgumentError):
        return None


def _boolean(node: dict, cols: Mapping[str, ColumnPlan]) -> Any:
    cls, kind = node.get("class"), node.get("type")
    if cls == "CONJUNCTION":
        parts = [_boolean(c, cols) for c in node["children"]]
        return sa.and_(*parts) if kind == "CONJUNCTION_AND" else sa.or_(*parts)
    if kind == "OPERATOR_NOT":
        return sa.not_(_boolean(node["children"][0], cols))
    if kind in ("OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL"):
        plan = _column(node["children"][0], cols)
        return plan.server.is_(None) if kind == "OPERATOR_IS_NULL" else plan.server.is_not(None)
    if cls == "COMPARISON" and kind in _COMPARE:
        op = _COMPARE[kind]
        left, right = node["left"], node["right"]
        if left.get("class") == "CONSTANT" or left.get("class") == "CAST":
            left, right, op = right, left, _FLIP[op]
        expr, plan = _operand(left, cols)
        if op not in ("==", "!=") and plan.kind != ORDERED:
            raise _NotPortable  # text order depends on the server's collation
        return _OPERATORS[op](expr, _constant(right, plan))
    if cls == "BETWEEN":
        expr, plan = _operand(node["input"], cols)
        if plan.kind != ORDERED:
            raise _NotPortable
        return expr.between(_constant(node["lower"], plan), _constant(node["upper"], plan))
    if kind in ("COMPARE_IN", "COMPARE_NOT_IN"):
        expr, plan = _operand(node["children"][0], cols)
        values = [_constant(c, plan) for c in node["children"][1:]]
        return expr.in_(values) if kind == "COMPARE_IN" else expr.not_in(values)
    if cls == "COLUMN_REF":
        plan = _column(node, cols)
        if plan.kind != FLAG:
            raise _NotPortable
        return plan.server == sa.true()
    raise _NotPortable


def _column(node: dict, cols: Mapping[str, ColumnPlan]) -> ColumnPlan:
    if node.get("class") != "COLUMN_REF" or len(node.get("column_names", [])) != 1:
        raise _NotPortable
    plan = cols[node["column_names"][0].lower()]
    if plan.kind is None:
        raise _NotPortable
    return plan


def _operand(node: dict, cols: Mapping[str, ColumnPlan]) -> tuple[Any, ColumnPlan]:
    """A column, or COALESCE(column, constant), with the column's plan."""
    if node.get("type") == "OPERATOR_COALESCE":
        first, *rest = node["children"]
        plan = _column(first, cols)
        if len(rest) != 1:
            raise _NotPortable
        return sa.func.coalesce(plan.server, _constant(rest[0], plan)), plan
    plan = _column(node, cols)
    return plan.server, plan


def _constant(node: dict, plan: ColumnPlan) -> Any:
    """A constant as a Python value of the column's type (or not portable)."""
    cast_to = None
    if node.get("class") == "CAST" and not node.get("try_cast"):
        cast_to = node["type_expr"]["type_name"].upper()
        node = node["child"]
    if node.get("class") != "CONSTANT":
        raise _NotPortable
    lit = node["literal"]
    kind, text = lit.get("kind"), lit.get("text")
    if text is None or kind == "NULL":
        raise _NotPortable
    ctype = plan.ctype
    if ctype in (DATE, TIMESTAMP):
        if kind != "STRING" or cast_to not in (None, "DATE", "TIMESTAMP"):
            raise _NotPortable
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?", text):
            raise _NotPortable
        if cast_to == "DATE" or (cast_to is None and ctype == DATE):
            if len(text) != 10:
                raise _NotPortable
            day = dt.date.fromisoformat(text)
            return day if ctype == DATE else dt.datetime.combine(day, dt.time())
        if ctype == DATE:
            raise _NotPortable  # a date against a timestamp: compared as timestamps
        return dt.datetime.fromisoformat(text)
    if cast_to is not None:
        raise _NotPortable
    if ctype == TEXT and kind == "STRING":
        return text
    if ctype == INTEGER and kind == "INTEGER":
        return int(text)
    if ctype == NUMBER and kind in ("INTEGER", "NUMERIC", "DECIMAL", "DOUBLE", "FLOAT"):
        return float(text)
    if ctype == BOOLEAN and kind == "BOOLEAN":
        return text.lower() == "true"
    raise _NotPortable


# ---------------------------------------------------------------------------
# The rows of one table, fetched when a query needs them
# ---------------------------------------------------------------------------

_STAR = re.compile(r"(?:\bSELECT|\bDISTINCT|,|\.)\s*\*", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\"(?:[^\"]|\"\")+\"")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class ServerRows:
    """The rows of one database table, with the filters given so far (see the module docstring).

    Behaves like a DuckDB relation for what the reports do with one (``filter``, ``query``,
    and any other relation method, which first fetches every column of the filtered rows).
    """

    def __init__(self, source: Any, table: str, server: tuple[tuple[str, Any], ...] = (),
                 local: tuple[str, ...] = ()):
        self._source = source
        self._table = table
        self._server = server  # (DuckDB text, SQLAlchemy expression) evaluated by the server
        self._local = local  # DuckDB conditions applied to the fetched rows

    # -- the relation interface --------------------------------------------------------
    def filter(self, condition: str) -> "ServerRows":
        """These rows where `condition` (DuckDB SQL over the contract's columns) holds."""
        self._source.stand_in(self._table).filter(condition)  # a bad condition fails here, as in DuckDB
        expr = server_condition(condition, self._plans())
        if expr is not None:
            return ServerRows(self._source, self._table, self._server + ((condition, expr),), self._local)
        return ServerRows(self._source, self._table, self._server, self._local + (condition,))

    def query(self, name: str, sql: str) -> duckdb.DuckDBPyRelation:
        """Run `sql` (DuckDB SQL in which `name` stands for these rows) over the columns it names."""
        return self.relation(self.columns_for(name, sql)).query(name, sql)

    def relation(self, columns: Sequence[str] | None = None) -> duckdb.DuckDBPyRelation:
        """These rows as a DuckDB relation of `columns` (default: every contract column)."""
        names = list(columns) if columns is not None else TABLES[self._table].names
        for condition in self._local:
            names += [c for c in self._named(condition) if c not in names]
        rel = self._source.fetched(self._table, self._server, names)
        for condition in self._local:
            rel = rel.filter(condition)
        return rel

    def pushdown(self, sql: str) -> duckdb.DuckDBPyRelation | None:
        """The result of `sql` — standard SQL in which `lines` stands for these rows, without
        ORDER BY — computed by the server; None when only DuckDB can compute it exactly (a
        filter or a column the server cannot read as DuckDB does)."""
        if self._local:
            return None
        names = self.columns_for("lines", sql)
        plans = self._plans()
        if not names or any(n not in plans or not plans[n].native for n in names):
            return None
        try:
            shape = self._source.stand_in(self._table, names).query("lines", sql)
        except duckdb.Error:
            return None
        return self._source.pushed(self._table, self._server, names, sql, list(zip(shape.columns, shape.types)))

    @property
    def columns(self) -> list[str]:
        return TABLES[self._table].names

    @property
    def types(self) -> list:
        return self._source.stand_in(self._table).types

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        attr = getattr(self.relation(), name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):  # join, union …: another ServerRows becomes its relation too
            args = tuple(a.relation() if isinstance(a, ServerRows) else a for a in args)
            kwargs = {k: v.relation() if isinstance(v, ServerRows) else v for k, v in kwargs.items()}
            return attr(*args, **kwargs)

        return call

    def __repr__(self) -> str:
        where = " AND ".join(f"({t})" for t, _ in self._server) or "TRUE"
        local = " AND ".join(f"({t})" for t in self._local)
        more = f"; then in DuckDB where {local}" if local else ""
        return f"<rows of {self._table} from the database where {where}{more}>"

    # -- which columns ---------------------------------------------------------------
    def _plans(self) -> dict[str, ColumnPlan]:
        return self._source.column_plans(self._table)

    def _named(self, sql: str) -> list[str]:
        """The contract columns whose names appear in `sql` (every column for a `*`)."""
        names = TABLES[self._table].names
        if _STAR.search(sql):
            return list(names)
        words = {w.strip('"').replace('""', '"').lower() for w in _WORD.findall(sql)}
        return [n for n in names if n in words]

    def columns_for(self, name: str, sql: str) -> list[str]:
        """The columns `sql` needs: those it names, checked by DuckDB, which binds the query
        over an empty table of just those columns and must find the same result columns
        and types as over every column (else every column is fetched)."""
        names = self._named(sql)
        every = TABLES[self._table].names
        if len(names) == len(every):
            return names
        try:
            full = self._source.stand_in(self._table).query(name, sql)
            part = self._source.stand_in(self._table, names or every[:1]).query(name, sql)
            if full.columns == part.columns and [str(t) for t in full.types] == [str(t) for t in part.types]:
                return names or every[:1]
        except duckdb.Error:
            pass
        return list(every)
