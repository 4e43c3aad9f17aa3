"""Conditions a database server evaluates exactly as DuckDB does (`server_condition`).

A report filters a table's rows with DuckDB SQL (``date_edit BETWEEN '2024-01-01' AND
'2024-01-31'``). When the condition is made only of what the server evaluates as DuckDB
would, it becomes the WHERE of the server's query (a SQLAlchemy expression, its constants
bound parameters); otherwise DuckDB applies it to the rows fetched. What the server may
evaluate:

- a column the server holds in the contract's type (`plans.ColumnPlan.kind` not None)
  equal or not to a constant of its type, or IN / NOT IN a list of them;
- a date, timestamp, number or integer column (`plans.ORDERED`) also compared with ``<``,
  ``>``, ``<=``, ``>=`` or BETWEEN (a text column never: text order depends on the
  server's collation);
- a boolean column (`plans.FLAG`) standing alone;
- ``IS [NOT] NULL``, ``COALESCE(col, constant)``, and AND / OR / NOT of those.

The condition is read from DuckDB's own parse tree (``json_serialize_sql``), so it is
understood exactly as DuckDB understands it.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import re
import threading
from collections.abc import Mapping
from typing import Any

import duckdb
import sqlalchemy as sa

from aftersales.source.contract import BOOLEAN, DATE, INTEGER, NUMBER, TEXT, TIMESTAMP
from aftersales.source.plans import FLAG, ORDERED, ColumnPlan

__all__ = ["server_condition"]

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
