"""Check a source against the input data contract (SPEC §2 "Bad input").

`validate` lists every problem; `check` raises the first one. Each problem is
a `DataError` naming the table, the column, the first offending data rows
(1-based: the first line under a CSV header is row 1), how many rows offend,
and their values.

Rules, per present table:

1. a missing required table (non-optional in the contract), a missing column
   (every contract column of a present table is required);
2. an empty value in a non-nullable column;
3. a value of the wrong type (number, integer, boolean);
4. an unparsable date or timestamp (ISO only: ``2024-02-30`` and
   ``24/01/2024`` are errors);
5. a value outside its closed list (`Column.allowed`);
6. ``clock_out`` before ``clock_in`` (table check ``clock_out_before_clock_in``);
7. a duplicated key (`Table.key`; an empty key value counts as a value);
8. ``targets.month`` not ``YYYY-MM`` (table check ``month_format``);

plus problems reading a file (not UTF-8, a wrong delimiter, a truncated line).

Rules 2–6 and 8 are computed in one aggregate query per table, reading each
row once; a table with a key needs one more grouped query. Rows the reports
cannot use but which break no rule (an open clocking, an unknown account) are
not errors here: the reports count them in their data-quality section.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from .contract import BOOLEAN, DATE, INTEGER, NUMBER, TABLES, TEXT, TIMESTAMP, DataError
from .source import ColumnSQL, Source, TableSQL, _ident, _lit, is_blank

__all__ = ["validate", "check"]

#: Rows and values shown per problem.
FIRST = 5

_MONTH_RE = r"\d{4}-(0[1-9]|1[0-2])"

_TYPE_WORDS = {
    NUMBER: ("value is not a number", "values are not numbers"),
    INTEGER: ("value is not an integer", "values are not integers"),
    BOOLEAN: (
        "value is not a boolean (true/false, 1/0, yes/no)",
        "values are not booleans (true/false, 1/0, yes/no)",
    ),
    DATE: (
        "value is not a date (ISO YYYY-MM-DD)",
        "values are not dates (ISO YYYY-MM-DD)",
    ),
    TIMESTAMP: (
        "value is not a timestamp (ISO YYYY-MM-DDTHH:MM[:SS])",
        "values are not timestamps (ISO YYYY-MM-DDTHH:MM[:SS])",
    ),
}


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@dataclass
class _Rule:
    """One row rule of a table: a SQL condition and how to word it."""

    column: str
    condition: str  # SQL over the check select (true = the row offends)
    one: str
    many: str
    value: str | None  # SQL of the value shown, or None to show none


def _rules(info: TableSQL) -> list[_Rule]:
    table = TABLES[info.name]
    rules: list[_Rule] = []
    for col in table.columns:
        c: ColumnSQL = next(x for x in info.columns if x.name == col.name)
        if not c.present:
            continue
        raw = _ident(c.name)
        ok = None if c.native else _ident(c.name + "__ok")
        if not col.nullable:
            blank = is_blank(raw, c.type, ok)
            rules.append(_Rule(c.name, blank, "value is empty", "values are empty", None))
        if ok is not None:
            one, many = _TYPE_WORDS[c.type]
            rule = f"({raw} IS NOT NULL AND NOT {ok} AND trim({raw}) <> '')"
            rules.append(_Rule(c.name, rule, one, many, raw))
        if col.allowed:
            listed = ", ".join(_lit(v) for v in col.allowed)
            words = " / ".join(col.allowed)
            rules.append(
                _Rule(
                    c.name,
                    f"({raw} IS NOT NULL AND {raw} NOT IN ({listed}))",
                    f"value is not one of {words}",
                    f"values are not one of {words}",
                    raw,
                )
            )
    present = {c.name for c in info.columns if c.present}
    # a check on a missing column is already reported as the missing column
    if "clock_out_before_clock_in" in table.checks and {"clock_in", "clock_out"} <= present:
        rules.append(
            _Rule(
                "clock_out",
                '(coalesce("clock_out__typed" < "clock_in__typed", false))',
                "clock_out is before its clock_in",
                "clock_out values are before their clock_in",
                """("clock_in" || ' -> ' || "clock_out")""",
            )
        )
    if "month_format" in table.checks and "month" in present:
        rules.append(
            _Rule(
                "month",
                f'("month" IS NOT NULL AND NOT regexp_full_match("month", {_lit(_MONTH_RE)}))',
                "value is not a month YYYY-MM",
                "values are not months YYYY-MM",
                '"month"',
            )
        )
    return rules


def _row_problems(source: Source, info: TableSQL) -> list[DataError]:
    """Rules 2–6 and 8. One pass counts every rule's offending rows; only when
    some rule fails, a second pass finds the first rows and their values."""
    rules = _rules(info)
    if not rules:
        return []
    counts_sql = "SELECT " + ", ".join(f"count_if({r.condition})" for r in rules)
    counts_sql += f" FROM ({info.check_select(with_row=False)})"
    counts = source.con.execute(counts_sql).fetchall()[0]
    failing = [(r, n) for r, n in zip(rules, counts) if n]
    if not failing:
        return []
    flags = ", ".join(f"{r.condition} AS _f{i}" for i, (r, _) in enumerate(failing))
    values = "".join(
        f", {r.value} AS _v{i}" for i, (r, _) in enumerate(failing) if r.value
    )
    any_flag = " OR ".join(f"_f{i}" for i in range(len(failing)))
    aggs = []
    for i, (r, _) in enumerate(failing):
        aggs.append(f"min(_row, {FIRST}) FILTER (WHERE _f{i})")
        aggs.append(f"arg_min(_v{i}, _row, {FIRST}) FILTER (WHERE _f{i})" if r.value else "NULL")
    detail_sql = (
        f"SELECT {', '.join(aggs)} FROM "
        f"(SELECT _row, {flags}{values} FROM ({info.check_select()})) WHERE {any_flag}"
    )
    detail = source.con.execute(detail_sql).fetchall()[0]
    problems = []
    for i, (r, count) in enumerate(failing):
        rows, examples = detail[2 * i], detail[2 * i + 1]
        problems.append(
            DataError(
                info.name,
                r.column,
                _plural(count, r.one, r.many),
                rows=list(rows or []),
                count=count,
                examples=["" if v is None else str(v) for v in (examples or [])],
            )
        )
    return problems


def _key_value(c: ColumnSQL) -> str:
    """SQL of a key column's value for comparing rows: text as written, other
    types by value (line_no 01 = 1); an invalid value (already reported)
    compares as its text, so it neither hides nor makes a duplicate."""
    raw, typed = _ident(c.name), _ident(c.name + "__typed")
    if c.type == TEXT:
        return raw
    if c.native:
        return typed
    ok = _ident(c.name + "__ok")
    return f"CASE WHEN {ok} THEN CAST({typed} AS VARCHAR) ELSE 'invalid:' || {raw} END"


def _key_problem(source: Source, info: TableSQL) -> DataError | None:
    key = TABLES[info.name].key
    if not key:
        return None
    cols = {c.name: c for c in info.columns}
    if any(not cols[k].present for k in key):
        return None  # reported as a missing column
    group = ", ".join(_key_value(cols[k]) for k in key)
    shown = " || ' / ' || ".join(f"coalesce({_ident(k)}, '')" for k in key)
    sql = f"""
        WITH c AS ({info.check_select()}),
        g AS (
            SELECT count(*) AS n, min(_row, {FIRST}) AS rs, any_value({shown}) AS k
            FROM c GROUP BY {group} HAVING count(*) > 1
        ),
        r AS (SELECT unnest(rs) AS r, k FROM g)
        SELECT (SELECT sum(n) FROM g), (SELECT count(*) FROM g),
               (SELECT min(r, {FIRST}) FROM r), (SELECT arg_min(k, r, {FIRST}) FROM r)
    """
    rows_total, keys, rows, examples = source.con.execute(sql).fetchall()[0]
    if not keys:
        return None
    names = "+".join(key)
    problem = (
        f"{_plural(int(rows_total), 'row shares', 'rows share')} a duplicated key ({names}): "
        f"{_plural(keys, 'key value appears', 'key values appear')} more than once"
    )
    return DataError(
        info.name, names, problem, rows=list(rows), count=int(rows_total), examples=list(examples)
    )


def _missing_columns(source: Source, info: TableSQL) -> list[DataError]:
    out = []
    where = f"{info.file_name}" if info.format != "duckdb" else info.location
    for name in info.missing:
        hint = info.missing_hints.get(name)
        more = f" (found {hint!r}: names must match exactly)" if hint else ""
        out.append(DataError(info.name, name, f"required column is missing from {where}{more}"))
    return out


def _missing_table(source: Source, name: str) -> str:
    if source.kind == "folder":
        return f"required table is missing: no {name}.csv or {name}.parquet in {source.location}"
    if source.kind == "duckdb":
        return f"required table is missing: no table {name} in {source.location}"
    return f"required table is missing: no table {name} in {source.describe()}"


def _table_order(tables: Iterable[str] | None) -> list[str]:
    if tables is None:
        return list(TABLES)
    wanted = set(tables)
    unknown = wanted - set(TABLES)
    if unknown:
        raise ValueError(f"not tables of the contract: {', '.join(sorted(unknown))}")
    return [t for t in TABLES if t in wanted]


def validate(source: Source, tables: Iterable[str] | None = None) -> list[DataError]:
    """Every contract problem of `source` (of `tables`, by default all), in
    the contract's table order."""
    problems: list[DataError] = []
    for name in _table_order(tables):
        table = TABLES[name]
        if not source.has(name):
            if not table.optional:
                problems.append(DataError(name, None, _missing_table(source, name)))
            continue
        info = source.table_sql(name)
        if info.error is not None:
            problems.append(info.error)
            continue
        problems.extend(_missing_columns(source, info))
        try:
            problems.extend(_row_problems(source, info))
            key = _key_problem(source, info)
        except duckdb.Error as exc:
            problems.append(source.read_error(name, exc))
            continue
        if key is not None:
            problems.append(key)
    return problems


def check(source: Source, tables: Iterable[str] | None = None) -> None:
    """Raise the first problem of `source` (noting how many more there are)."""
    problems = validate(source, tables)
    if not problems:
        return
    first = problems[0]
    first.others = problems[1:]
    if len(problems) > 1:
        first.add_note(
            f"{_plural(len(problems) - 1, 'more problem', 'more problems')} in the source: "
            "run `aftersales validate --source SRC` to list them all"
        )
    raise first
