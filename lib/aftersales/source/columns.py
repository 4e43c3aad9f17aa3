"""How each contract column is read from a source's text or native columns, as DuckDB SQL.

- `text_to_typed`, `text_is_valid` and `text_state`: the contract's parsing rules for a
  value written as text (a CSV file, a text column of a database), as SQL expressions:
  the typed views' cheap cast, the contract's strict test, and a row's state
  (`VALID`, `EMPTY`, `INVALID`) that validation counts;
- `native_expr`: a direct cast from a column typed at the source (Parquet, DuckDB, a
  database), when its type holds the contract's; a date column stored as a timestamp is read
  as its day, valid at midnight only (`ColumnSQL.check`); `is_numeric_type` tells a number type
  (a text column stored as one loses its codes' leading zeros: validation refuses it);
- `ColumnSQL` and `TableSQL`: how one column and one table are read (`build_columns` fills a
  table's columns from the source's own column names and types).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

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
from aftersales.source.sql import ident, literal

__all__ = [
    "text_to_typed", "text_is_valid", "text_state", "native_expr", "build_columns", "is_numeric_type",
    "ColumnSQL", "TableSQL", "VALID", "EMPTY", "INVALID",
]

# RE2 patterns, matched against the whole value (regexp_full_match).
# Surrounding blanks are tolerated for non-text values; text is never trimmed.
_INTEGER_RE = r"\s*[+-]?\d+(\.0*)?\s*"  # 3 and 3.0 are integers, 3.5 is not
_TIMESTAMP_RE = r"\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*"


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
        words = ", ".join(literal(w) for w in TRUE_WORDS + FALSE_WORDS)
        return f"(lower(trim({expr})) IN ({words}))"
    if ctype == NUMBER:
        # DuckDB's DOUBLE cast takes decimals with an optional exponent,
        # and also digit separators (1_000) and inf/nan, which are refused
        return f"(coalesce(isfinite({typed}), false) AND NOT contains({expr}, '_'))"
    if ctype == INTEGER:
        # the cast rounds 3.5 and reads 0x10: the pattern is needed
        return f"(regexp_full_match({expr}, {literal(_INTEGER_RE)}) AND {typed} IS NOT NULL)"
    if ctype == DATE:
        # ISO exactly: the date written back as ISO is the text (2024-1-5,
        # 2024/01/05 and 2024-02-30 are not)
        back = f"CAST({typed} AS VARCHAR)"
        return f"coalesce({back} = {expr} OR {back} = trim({expr}), false)"
    # TIMESTAMP: timestamps are rarely repeated, a pattern costs no more here
    return f"(regexp_full_match({expr}, {literal(_TIMESTAMP_RE)}) AND {typed} IS NOT NULL)"


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


def is_numeric_type(source_type: str) -> bool:
    """True for an integer, floating-point or decimal column type."""
    t = source_type.upper()
    return t in _INT_TYPES or t in _FLOAT_TYPES or t.startswith("DECIMAL")


def native_expr(col: str, source_type: str, ctype: str) -> str | None:
    """A direct cast from a native (non-text) column, or None when the native
    type does not hold the contract type (the value is then parsed as text)."""
    t = source_type.upper()
    numeric = is_numeric_type(t)
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
    #: SQL true when a present value is valid, for a column neither text nor native (in place of the
    #: text rules: a date stored as a timestamp is valid at midnight), and how its invalid values are worded
    check: str | None = None
    expects: tuple[str, str] | None = None


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
            parts.append(f"{c.raw} AS {ident(c.name)}")
            parts.append(f"{c.typed} AS {ident(c.name + '__typed')}")
            if c.check is not None:
                state = (f"CASE WHEN {c.raw} IS NULL THEN {EMPTY} WHEN coalesce({c.check}, false) THEN {VALID} "
                         f"ELSE {INVALID} END")
                parts.append(f"{state} AS {ident(c.name + '__state')}")
            elif not c.native:
                state = text_state(c.raw, c.type, c.typed)
                parts.append(f"{state} AS {ident(c.name + '__state')}")
        return f"SELECT {', '.join(parts)} FROM {self.scan}"


def build_columns(info: TableSQL) -> None:
    """Fill info.columns / info.missing from info.source_columns."""
    table = TABLES[info.name]
    lower = {n.lower().strip(): n for n in info.source_columns}
    for col in table.columns:
        sql_type = SQL_TYPES[col.type]
        if col.name not in info.source_columns:
            if not col.optional:  # an optional column (SPEC §6.1 `branch`, `pay_type`) reads as empty
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
        quoted = ident(col.name)
        stype = info.source_columns[col.name]
        raw = quoted if stype.upper() == "VARCHAR" else f"CAST({quoted} AS VARCHAR)"
        if stype.upper() == "VARCHAR":
            typed, native = text_to_typed(quoted, col.type), col.type == TEXT
        elif col.type == DATE and stype.upper() in _TIMESTAMP_TYPES:
            # a date written as a timestamp (pandas, spreadsheets' exports): its day, at midnight only
            info.columns.append(ColumnSQL(
                col.name, col.type, True, raw, f"CAST({quoted} AS DATE)", False,
                check=f"CAST({quoted} AS TIMESTAMP) = CAST(CAST({quoted} AS DATE) AS TIMESTAMP)",
                expects=(f"value is a timestamp with a time of day ({stype} column) where a date is expected: "
                         "store the column as a date, or as a timestamp at midnight",
                         f"values are timestamps with a time of day ({stype} column) where dates are expected: "
                         "store the column as dates, or as timestamps at midnight")))
            continue
        else:
            direct = native_expr(quoted, stype, col.type)
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

