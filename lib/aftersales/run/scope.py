"""Scopes (SPEC §6.2): the whole source (the group) or one branch.

A branch's figures use only that branch's rows of the tables that carry `branch`; the other
tables (accounts, reps, targets, CRM) are shared by every branch. The scope is a filter on the
relations the reports are given — pushed into the engine, never a copy of the data per branch —
so reports never know which scope they compute.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from aftersales.source.contract import BRANCH_TABLES
from aftersales.source.reader import Source

#: The scope of the whole source.
GROUP = ""


def branch_condition(branch: str) -> str:
    """The SQL condition of one branch's rows (the code as a quoted literal, whatever it holds)."""
    return "branch = '" + branch.replace("'", "''") + "'"


@dataclass(frozen=True)
class Scope:
    """The group (`branch` empty) or one branch, by its code exactly as in the source."""

    branch: str = GROUP

    @property
    def is_group(self) -> bool:
        return self.branch == GROUP

    def filters(self, source: Source) -> dict[str, str]:
        """Table → SQL condition of the scope's rows, for the tables of SPEC §6.1 that carry `branch`.
        The group reads every row. A branch reads its own rows; where such a table has no `branch`
        column its rows name no branch, so they are the group's alone (a branch reads none of them)."""
        if self.is_group:
            return {}
        condition = branch_condition(self.branch)
        return {t: condition if source.has_column(t, "branch") else "false" for t in BRANCH_TABLES}

    def relation(self, source: Source, table: str) -> duckdb.DuckDBPyRelation | None:
        """The scope's rows of `table`, or None when the source lacks the table."""
        if not source.has(table):
            return None
        rows = source.table(table)
        condition = self.filters(source).get(table)
        return rows.filter(condition) if condition else rows

    @property
    def label(self) -> str:
        return "the group" if self.is_group else f"branch {self.branch}"


def branches_found(source: Source) -> list[str]:
    """Every branch code found on parts, labour or clocking lines or in `branches` (SPEC §6.2),
    sorted; empty for a source without a `branch` column."""
    codes: set[str] = set()
    for table in ("parts_lines", "labour_lines", "clockings", "branches"):
        if not source.has_column(table, "branch"):
            continue
        rel = source.table(table)
        rel = rel.relation(["branch"]) if hasattr(rel, "pushdown") else rel
        found = rel.query("t", "SELECT DISTINCT branch FROM t WHERE branch IS NOT NULL AND branch <> ''")
        codes |= {row[0] for row in found.fetchall()}
    return sorted(codes)
