"""Which branches a source has (SPEC §6.2): every code found on parts, labour or clocking lines or in
`branches`, each table read through the source, whichever of them carry a `branch` column."""

from __future__ import annotations

import duckdb

from aftersales.run.scope import branches_found


class TablesOnly:
    """A source whose tables are reachable only through `table()` (as a database's are: no view of that
    name on the connection a query runs on), each on a connection of its own."""

    def __init__(self, tables: dict[str, list[str] | None]):
        self.tables = tables  # table → its branch codes, or None for a table without a branch column

    def has_column(self, table: str, column: str) -> bool:
        return column == "branch" and self.tables.get(table) is not None

    def table(self, name: str) -> duckdb.DuckDBPyRelation:
        codes = self.tables[name] or []
        values = ", ".join(f"('{c}')" for c in codes) or "(NULL)"
        return duckdb.connect().sql(f"SELECT branch FROM (VALUES {values}) AS v(branch)")


def test_codes_from_the_tables_that_carry_branch_each_read_through_the_source():
    """Labour lines and clockings without a `branch` column: the codes come from parts lines and
    `branches` ("007" and "7" two codes, an empty code none), read from those tables themselves."""
    source = TablesOnly({"parts_lines": ["007", "7", ""], "labour_lines": None, "clockings": None,
                         "branches": ["7", "1e3"]})
    assert branches_found(source) == ["007", "1e3", "7"]


def test_a_source_without_a_branch_column_has_no_branches():
    assert branches_found(TablesOnly({"parts_lines": None, "labour_lines": None, "clockings": None})) == []
