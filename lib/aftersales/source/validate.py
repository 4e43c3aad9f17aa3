"""Check a source against the input data contract (SPEC §2 "Bad input").

`validate` lists every problem; `check` raises the first one. Each problem is
a `DataError` naming the table, the column, the first offending data rows
(1-based: the first line under a CSV header is row 1), how many rows offend,
and their values.

Rules, per present table:

1. a missing required table (non-optional in the contract), a missing column
   (every contract column of a present table is required, but for the optional
   `branch` and `pay_type` of SPEC §6.1, which read as empty when absent);
2. an empty value in a non-nullable column;
3. a value of the wrong type (number, integer, boolean);
4. an unparsable date or timestamp (ISO only: ``2024-02-30`` and
   ``24/01/2024`` are errors);
5. a value outside its closed list (`Column.allowed`);
6. ``clock_out`` before ``clock_in`` (table check ``clock_out_before_clock_in``);
7. a duplicated key (`Table.key`; an empty key value counts as a value);
8. a month not ``YYYY-MM`` (targets, budgets, overheads: table check ``month_format``);
9. a negative overhead amount (table check ``amount_not_negative``);
10. a number too large for the exact sums: 1e15 or more in size, or a line value (quantity ×
    price, the labour formulas, stock on hand × cost) 1e18 or more (`limits`); a number stored
    at the source as NaN or infinity;
11. a date, timestamp or month outside the years 1900–2200 (`limits.YEARS`);
12. a text column (a code) stored in a Parquet or DuckDB file as numbers, which lose their
    leading zeros (``00042`` → 42).

plus problems reading a file (not UTF-8, a wrong delimiter, a truncated line).

A database table is first asked whether it has any problem at all, in one or two
queries the database runs (`database.Database.clean`); only a table that may have some
is copied into DuckDB and checked by the same queries as a file, so the messages are
the same. A column the database types as the contract does (a date column for a date)
has only emptiness to check; one it holds as text is checked like a CSV file's text.
Rows are numbered in the order the database returns them (for a table filled by
`aftersales load`, the order of the file it came from).

Rules 2–6 and 8–12 are computed in one aggregate query per table, reading each
row once; a table with a key needs one more grouped query. Rows the reports
cannot use but which break no rule (an open clocking, an unknown account) are
not errors here: the reports count them in their data-quality section.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from aftersales.source.columns import EMPTY, INVALID, VALID, ColumnSQL, TableSQL, is_numeric_type
from aftersales.source.contract import BOOLEAN, DATE, INTEGER, NUMBER, TABLES, TEXT, TIMESTAMP, DataError
from aftersales.source.limits import EXACT, LINE_LIMIT, LINE_VALUES, NUMBER_LIMIT, YEARS
from aftersales.source.reader import Source
from aftersales.source.sql import ident, literal

__all__ = ["validate", "check"]

#: Rows and values shown per problem.
FIRST = 5

_MONTH_RE = r"\d{4}-(0[1-9]|1[0-2])"

#: Source formats whose column types are the file's own: a code stored there as a number is refused.
_TYPED_FILES = ("parquet", "duckdb")

_TYPE_WORDS = {
    NUMBER: ("value is not a number", "values are not numbers"),
    INTEGER: ("value is not an integer", "values are not integers"),
    BOOLEAN: ("value is not a boolean (true/false, 1/0, yes/no)", "values are not booleans (true/false, 1/0, yes/no)"),
    DATE: ("value is not a date (ISO YYYY-MM-DD)", "values are not dates (ISO YYYY-MM-DD)"),
    TIMESTAMP: ("value is not a timestamp (ISO YYYY-MM-DDTHH:MM[:SS])",
                "values are not timestamps (ISO YYYY-MM-DDTHH:MM[:SS])"),
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
    # the counting pass counts the rules of one column's state in one sum:
    state: str | None = None  # SQL of the column's state (VALID / EMPTY / INVALID)
    code: int | None = None  # the state this rule counts


#: weights of a state sum: empty rows count in the low 32 bits, invalid ones above
_WEIGHT = {EMPTY: 1, INVALID: 1 << 32}


def _rules(info: TableSQL) -> list[_Rule]:
    table = TABLES[info.name]
    rules: list[_Rule] = []
    for col in table.columns:
        c: ColumnSQL = next(x for x in info.columns if x.name == col.name)
        if not c.present:
            continue
        raw = ident(c.name)
        if c.native:  # text, or typed at the source: only emptiness to check
            if not col.nullable:
                empty = f"({raw} IS NULL OR {raw} = '')" if c.type == TEXT else f"({raw} IS NULL)"
                rules.append(_Rule(c.name, empty, "value is empty", "values are empty", None))
        else:
            state = ident(c.name + "__state")
            if not col.nullable:
                rules.append(
                    _Rule(c.name, f"({state} = {EMPTY})", "value is empty", "values are empty", None,
                          state, EMPTY)
                )
            one, many = c.expects or _TYPE_WORDS[c.type]
            rules.append(_Rule(c.name, f"({state} = {INVALID})", one, many, raw, state, INVALID))
        rules.extend(_value_rules(info, c))
        if col.allowed:
            listed = ", ".join(literal(v) for v in col.allowed)
            words = " / ".join(col.allowed)
            rules.append(
                _Rule(
                    c.name,
                    f"({raw} IS NOT NULL AND {raw} <> '' AND {raw} NOT IN ({listed}))",
                    f"value is not one of {words}",
                    f"values are not one of {words}",
                    raw,
                )
            )
    present = {c.name for c in info.columns if c.present}
    for factors, divisor in LINE_VALUES.get(info.name, ()):
        if set(factors) <= present:
            product = " * ".join(ident(f + "__typed") for f in factors) + (f" / {divisor}" if divisor != 1 else "")
            words = " × ".join(factors) + (f" / {divisor}" if divisor != 1 else "")
            each = " AND ".join(f"abs({ident(f + '__typed')}) < {NUMBER_LIMIT:g}" for f in factors)
            rules.append(_Rule(  # where no single value is too large already
                factors[0], f"(coalesce({each} AND abs({product}) >= {LINE_LIMIT:g}, false))",
                f"line's {words} is 1e18 or more in size: {EXACT} line values below 1e18",
                f"lines' {words} are 1e18 or more in size: {EXACT} line values below 1e18",
                " || ' × ' || ".join(f"coalesce({ident(f)}, '')" for f in factors)))
    if "month_format" in table.checks and "month" in present:
        low, high = YEARS
        rules.append(_Rule(
            "month", f"""(regexp_full_match(coalesce("month", ''), {literal(_MONTH_RE)}) """
                     f"""AND NOT (substr("month", 1, 4) BETWEEN '{low}' AND '{high}'))""",
            f"value is a month outside the years {low} to {high} (a typing error?)",
            f"values are months outside the years {low} to {high} (a typing error?)", '"month"'))
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
    if "amount_not_negative" in table.checks and "amount" in present:
        rules.append(
            _Rule(
                "amount",
                '(coalesce("amount__typed" < 0, false))',
                "value is negative (an overhead is an expense: 0 or more)",
                "values are negative (an overhead is an expense: 0 or more)",
                '"amount"',
            )
        )
    if "month_format" in table.checks and "month" in present:
        rules.append(
            _Rule(
                "month",
                f'("month" IS NOT NULL AND "month" <> \'\' AND NOT regexp_full_match("month", {literal(_MONTH_RE)}))',
                "value is not a month YYYY-MM",
                "values are not months YYYY-MM",
                '"month"',
            )
        )
    return rules


def _value_rules(info: TableSQL, c: ColumnSQL) -> list[_Rule]:
    """Rules 10–12 on one present column: values a valid type can hold that the reports cannot use."""
    typed, raw = ident(c.name + "__typed"), ident(c.name)
    rules = []
    if c.type == NUMBER:
        if c.native:  # typed at the source: NaN and infinities were never text to refuse
            rules.append(_Rule(c.name, f"(coalesce(NOT isfinite({typed}), false))",
                               "value is not a number (NaN or infinite)", "values are not numbers (NaN or infinite)",
                               raw))
        rules.append(_Rule(c.name, f"(coalesce(isfinite({typed}) AND abs({typed}) >= {NUMBER_LIMIT:g}, false))",
                           f"value is 1e15 or more in size: {EXACT} values below 1e15",
                           f"values are 1e15 or more in size: {EXACT} values below 1e15", raw))
    if c.type in (DATE, TIMESTAMP):
        low, high = YEARS
        kind = "DATE" if c.type == DATE else "TIMESTAMP"
        rules.append(_Rule(
            c.name, f"(coalesce({typed} < {kind} '{low}-01-01' OR {typed} >= {kind} '{high + 1}-01-01', false))",
            f"value is outside the years {low} to {high} (a typing error?)",
            f"values are outside the years {low} to {high} (a typing error?)", raw))
    stored = info.source_columns.get(c.name, "")
    if c.type == TEXT and info.format in _TYPED_FILES and is_numeric_type(stored):
        where = info.file_name
        rules.append(_Rule(
            c.name, f"({raw} IS NOT NULL)",
            f"value is stored as a number ({stored} column in {where}) where the contract says text: a code "
            "stored as a number loses its leading zeros (00042 becomes 42); store the column as text (strings)",
            f"values are stored as numbers ({stored} column in {where}) where the contract says text: a code "
            "stored as a number loses its leading zeros (00042 becomes 42); store the column as text (strings)",
            raw))
    return rules


def _row_problems(source: Source, info: TableSQL) -> list[DataError]:
    """Rules 2–6 and 8–12. One pass counts every rule's offending rows; only when
    some rule fails, a second pass finds the first rows and their values."""
    rules = _rules(info)
    if not rules:
        return []
    aggregates: list[str] = []
    position: dict[int, int] = {}  # rule → its aggregate
    sums: dict[str, int] = {}  # state column → its aggregate
    for i, r in enumerate(rules):
        if r.state is None:
            position[i] = len(aggregates)
            aggregates.append(f"count_if({r.condition})")
            continue
        if r.state not in sums:
            sums[r.state] = len(aggregates)
            weights = " ".join(f"WHEN {code} THEN {w}" for code, w in _WEIGHT.items())
            aggregates.append(f"coalesce(sum(CASE {r.state} {weights} ELSE 0 END), 0)")
        position[i] = sums[r.state]
    counts_sql = f"SELECT {', '.join(aggregates)} FROM ({info.check_select(with_row=False)})"
    totals = source.execute(counts_sql).fetchall()[0]
    counts = []
    for i, r in enumerate(rules):
        total = int(totals[position[i]] or 0)  # count_if of no rows is NULL here
        if r.state is None:
            counts.append(total)
        else:
            counts.append(total >> 32 if r.code == INVALID else total & 0xFFFFFFFF)
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
    detail = source.execute(detail_sql).fetchall()[0]
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
    raw, typed = ident(c.name), ident(c.name + "__typed")
    if c.native:  # text as written ('' is empty, like NULL), or typed at the source
        return typed
    state = ident(c.name + "__state")
    return f"CASE WHEN {state} = {VALID} THEN CAST({typed} AS VARCHAR) ELSE 'invalid:' || {raw} END"


def _key_problem(source: Source, info: TableSQL) -> DataError | None:
    """Rule 7. One grouped pass counts the duplicated keys; only when there
    are some, a second pass finds their first rows."""
    key = TABLES[info.name].key
    if not key:
        return None
    cols = {c.name: c for c in info.columns}
    if any(k in info.missing for k in key):
        return None  # reported as a missing column (an absent optional column is empty on every row)
    values = ", ".join(f"{_key_value(cols[k])} AS _k{i}" for i, k in enumerate(key))
    names = ", ".join(f"_k{i}" for i in range(len(key)))
    shown = " || ' / ' || ".join(f"coalesce({ident(k)}, '')" for k in key)

    def keyed(with_row: bool) -> str:
        row = "_row, " if with_row else ""
        return f"SELECT {row}{values}, {shown} AS _shown FROM ({info.check_select(with_row)})"

    count_sql = f"""
        SELECT count(*), sum(n) FROM (
            SELECT count(*) AS n FROM ({keyed(False)}) GROUP BY {names} HAVING count(*) > 1
        )
    """
    keys, rows_total = source.execute(count_sql).fetchall()[0]
    if not keys:
        return None
    # an empty key value counts as a value: NULLs match NULLs
    same = " AND ".join(f"c._k{i} IS NOT DISTINCT FROM d._k{i}" for i in range(len(key)))
    rows_sql = f"""
        WITH c AS ({keyed(True)}),
        d AS (SELECT {names} FROM c GROUP BY {names} HAVING count(*) > 1)
        SELECT min(c._row, {FIRST}), arg_min(c._shown, c._row, {FIRST}) FROM c JOIN d ON {same}
    """
    rows, examples = source.execute(rows_sql).fetchall()[0]
    label = "+".join(key)
    problem = (
        f"{_plural(int(rows_total), 'row shares', 'rows share')} a duplicated key ({label}): "
        f"{_plural(int(keys), 'key value appears', 'key values appear')} more than once"
    )
    return DataError(
        info.name, label, problem, rows=list(rows), count=int(rows_total), examples=list(examples)
    )


def _missing_columns(source: Source, info: TableSQL) -> list[DataError]:
    out = []
    where = info.file_name  # the file's name, or `table <name>` in a database
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
    if source.kind == "database":
        return f"required table is missing: no table or view {name} in {source.location}"
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
        info = source.table_sql(name, copy=False)
        if info.error is not None:
            problems.append(info.error)
            continue
        problems.extend(_missing_columns(source, info))
        if source.clean_on_server(name):
            continue
        info = source.table_sql(name)
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
