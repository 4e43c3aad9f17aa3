"""Which branches a source has (SPEC §6.2): every code found on parts, labour or clocking lines or in
`branches`, each table read through the source, whichever of them carry a `branch` column; and the packs a
run plans from them."""

from __future__ import annotations

import duckdb
import pytest

from aftersales.run.group_step import plan_scopes
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


def test_by_branch_says_why_it_makes_the_groups_pack_alone():
    """--by-branch on one dealer (no branch column) or for Sales performance alone (a group-only report)
    makes the group's pack only, and says why instead of leaving the user to look for `branches/`."""
    heard: list[str] = []
    one = TablesOnly({"parts_lines": None, "labour_lines": None, "clockings": None})
    plans = plan_scopes(one, ["parts", "labour"], by_branch=True, note=heard.append)
    assert [p.scope.is_group for p in plans] == [True]
    assert len(heard) == 1 and "no line and no branches row names a branch" in heard[0]

    heard.clear()
    group = TablesOnly({"parts_lines": ["01", "02"], "labour_lines": None, "clockings": None})
    plans = plan_scopes(group, ["sales"], by_branch=True, note=heard.append)
    assert [p.scope.is_group for p in plans] == [True]
    assert len(heard) == 1 and "Sales performance report is made for the group only" in heard[0]

    heard.clear()
    plans = plan_scopes(group, ["parts", "sales"], by_branch=True, note=heard.append)
    assert [p.scope.branch for p in plans] == ["", "01", "02"] and heard == []
    assert all(p.reports == ("parts",) for p in plans[1:])


def test_branch_on_a_source_that_names_no_branch_says_so():
    """`--branch 01` on one dealer (no branch column), or on a source whose line tables have the column but no
    row, is refused saying that no branch is named: not claiming a column is missing that is there."""
    one = TablesOnly({"parts_lines": None, "labour_lines": None, "clockings": None})
    empty = TablesOnly({"parts_lines": [], "labour_lines": [], "clockings": []})
    for source in (one, empty):
        with pytest.raises(ValueError, match="--branch 01: no line and no branches row of the source names a"):
            plan_scopes(source, ["parts"], branch="01")


def test_an_empty_branch_code_is_refused_as_such():
    """`--branch ''` says a code is needed rather than listing the branches as if '' were a typo of one."""
    group = TablesOnly({"parts_lines": ["01"], "labour_lines": None, "clockings": None})
    with pytest.raises(ValueError, match="--branch names no branch"):
        plan_scopes(group, ["parts"], branch="")
