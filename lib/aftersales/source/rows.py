"""The rows of a database source's tables, fetched into DuckDB when a query needs them.

- `ServerRows` stands for a table's rows (what `reader.Source.table` gives for a database
  source). Its ``filter`` sends a condition the server evaluates exactly as DuckDB does
  (`pushdown.server_condition`) to the server and keeps any other for DuckDB; each query
  (`ServerRows.query`) fetches only the columns it names; a GROUP BY in standard SQL
  (`ServerRows.pushdown`, used by `grids.summed`) is computed by the server itself.
- `ServerTables` holds what was fetched into the source's in-memory DuckDB connection
  (one DuckDB table per fetch, kept for the next query that needs no more) and the empty
  stand-ins over which DuckDB binds a query before anything is fetched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import sqlalchemy as sa

from aftersales.source.columns import TableSQL
from aftersales.source.contract import SQL_TYPES, TABLES
from aftersales.source.database import Database
from aftersales.source.plans import ColumnPlan
from aftersales.source.pushdown import server_condition
from aftersales.source.sql import ident

__all__ = ["ServerRows", "ServerTables"]

_STAR = re.compile(r"(?:\bSELECT|\bDISTINCT|,|\.)\s*\*", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\"(?:[^\"]|\"\")+\"")


class ServerRows:
    """The rows of one database table, with the filters given so far (see the module docstring).

    Behaves like a DuckDB relation for what the reports do with one (``filter``, ``query``,
    and any other relation method, which first fetches every column of the filtered rows).
    """

    def __init__(self, tables: ServerTables, table: str, server: tuple[tuple[str, Any], ...] = (),
                 local: tuple[str, ...] = ()):
        self._tables = tables
        self._table = table
        self._server = server  # (DuckDB text, SQLAlchemy expression) evaluated by the server
        self._local = local  # DuckDB conditions applied to the fetched rows

    # -- the relation interface --------------------------------------------------------
    def filter(self, condition: str) -> "ServerRows":
        """These rows where `condition` (DuckDB SQL over the contract's columns) holds."""
        self._tables.stand_in(self._table).filter(condition)  # a bad condition fails here, as in DuckDB
        expr = server_condition(condition, self._plans())
        if expr is not None:
            return ServerRows(self._tables, self._table, self._server + ((condition, expr),), self._local)
        return ServerRows(self._tables, self._table, self._server, self._local + (condition,))

    def query(self, name: str, sql: str) -> duckdb.DuckDBPyRelation:
        """Run `sql` (DuckDB SQL in which `name` stands for these rows) over the columns it names."""
        return self.relation(self.columns_for(name, sql)).query(name, sql)

    def relation(self, columns: Sequence[str] | None = None) -> duckdb.DuckDBPyRelation:
        """These rows as a DuckDB relation of `columns` (default: every contract column)."""
        names = list(columns) if columns is not None else TABLES[self._table].all_names
        for condition in self._local:
            names += [c for c in self._named(condition) if c not in names]
        rel = self._tables.fetched(self._table, self._server, names)
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
            shape = self._tables.stand_in(self._table, names).query("lines", sql)
        except duckdb.Error:
            return None
        return self._tables.pushed(self._table, self._server, names, sql, list(zip(shape.columns, shape.types)))

    @property
    def columns(self) -> list[str]:
        return TABLES[self._table].all_names

    @property
    def types(self) -> list:
        return self._tables.stand_in(self._table).types

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
        return self._tables.column_plans(self._table)

    def _named(self, sql: str) -> list[str]:
        """The contract columns whose names appear in `sql` (every column for a `*`)."""
        names = TABLES[self._table].all_names
        if _STAR.search(sql):
            return list(names)
        words = {w.strip('"').replace('""', '"').lower() for w in _WORD.findall(sql)}
        return [n for n in names if n in words]

    def columns_for(self, name: str, sql: str) -> list[str]:
        """The columns `sql` needs: those it names, checked by DuckDB, which binds the query
        over an empty table of just those columns and must find the same result columns
        and types as over every column (else every column is fetched)."""
        names = self._named(sql)
        every = TABLES[self._table].all_names
        if len(names) == len(every):
            return names
        try:
            full = self._tables.stand_in(self._table).query(name, sql)
            part = self._tables.stand_in(self._table, names or every[:1]).query(name, sql)
            if full.columns == part.columns and [str(t) for t in full.types] == [str(t) for t in part.types]:
                return names or every[:1]
        except duckdb.Error:
            pass
        return list(every)


class ServerTables:
    """The rows of a database's tables fetched so far into the DuckDB connection `con`
    (`tables`: how each contract table is read, `reader.Source`'s own)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, db: Database, tables: Mapping[str, TableSQL]):
        self._con = con
        self._db = db
        self._tables = tables
        self._slices: dict[tuple, list[tuple[frozenset, str]]] = {}  # fetched rows
        self._stand_ins: dict[tuple, duckdb.DuckDBPyRelation] = {}

    def rows(self, name: str) -> ServerRows:
        """Every row of `name`, fetched only when a query needs them."""
        return ServerRows(self, name)

    def column_plans(self, name: str) -> dict[str, ColumnPlan]:
        """How the database gives each present column of `name`."""
        return self._db.tables[name].columns

    def stand_in(self, name: str, columns: list[str] | None = None) -> duckdb.DuckDBPyRelation:
        """An empty relation of the typed columns of `name`: DuckDB binds queries over it."""
        key = (name, tuple(columns) if columns is not None else None)
        rel = self._stand_ins.get(key)
        if rel is None:
            table = TABLES[name]
            names = columns if columns is not None else table.all_names
            cols = ", ".join(f"CAST(NULL AS {SQL_TYPES[table.column(n).type]}) AS {ident(n)}" for n in names)
            rel = self._stand_ins[key] = self._con.sql(f"SELECT {cols} WHERE false")
        return rel

    def fetched(self, name: str, server: tuple, columns: list[str]) -> duckdb.DuckDBPyRelation:
        """The typed `columns` of the rows of `name` meeting the `server` conditions
        ((DuckDB text, server expression) pairs), fetched once and kept."""
        info = self._tables[name]
        if info.error is not None:
            raise info.error
        plans = self.column_plans(name)
        wanted = [n for n in TABLES[name].all_names if n in columns]
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
            typed = ", ".join(f"{c.typed} AS {ident(c.name)}" for c in info.columns if c.name in wanted)
            return self._con.sql(f"SELECT {typed} FROM {local}")
        typed = ", ".join(f"{c.typed} AS {ident(c.name)}" for c in info.columns)
        rel = self._con.sql(f"SELECT {typed} FROM {local}")
        for text in apply:
            rel = rel.filter(text)
        return rel.project(", ".join(ident(n) for n in wanted))

    def pushed(self, name: str, server: tuple, columns: list[str], sql: str,
               shape: list[tuple[str, object]]) -> duckdb.DuckDBPyRelation:
        """The result of `sql` (standard SQL over `lines`: the rows of `name` meeting
        `server`, of `columns`) computed by the database, typed as `shape` says."""
        plans = self.column_plans(name)
        plan = self._db.tables[name]
        lines = (sa.select(*(plans[n].server.label(n) for n in columns)).select_from(plan.clause)
                 .where(*(e for _, e in server)).cte("lines"))
        stmt = sa.select(sa.literal_column("*")).select_from(sa.text(f"({sql}) AS pushed")).add_cte(lines)
        local = self._db.fetch(self._con, stmt, [(c, str(t)) for c, t in shape], name)
        return self._con.table(local)

    def whole(self, name: str) -> str:
        """The DuckDB table holding every present contract column of every row of `name`
        (fetched once), or an empty table of none when the table has no contract column."""
        plans = self.column_plans(name)
        if not plans:  # no contract column at all: an empty table of none
            return "(SELECT NULL AS _none WHERE false)"
        self.fetched(name, (), list(plans))
        return next(t for cols, t in self._slices[(name, frozenset())] if set(plans) <= cols)
