"""How each contract column and table is read from a database server (SQLAlchemy).

`plan_column` gives a column's server expression: the column itself where the server's type
holds the contract's type (a cast only where it differs: an integer read as a double, a
bigint), else the column as text, parsed by DuckDB like a CSV file's text and checked by
validation. Its ``kind`` says which comparisons the server evaluates exactly as DuckDB does
(`ORDERED`, `EQUAL`, `FLAG`; see `pushdown.server_condition`). `TablePlan` is one contract
table found in the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import sqltypes

from aftersales.source.contract import BOOLEAN, DATE, INTEGER, NUMBER, TEXT, TIMESTAMP

__all__ = ["ColumnPlan", "TablePlan", "plan_column", "ORDERED", "EQUAL", "FLAG"]

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


def plan_column(name: str, ctype: str, nullable: bool, column: Any, stype: Any) -> ColumnPlan:
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
        """``<schema>.<name>`` in the database (just the name in the default schema)."""
        return f"{self.schema}.{self.actual}" if self.schema else self.actual
