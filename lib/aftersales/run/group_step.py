"""The group step of a run (SPEC §6.2): which scopes a run makes, where each branch's pack goes, the
group's Branches grid and the branch codes missing from `branches`.

Run in the run's main process, like the pacing step: the Branches grid is one pass per question
over the whole source grouped by branch (`reports.group.branches`), read from the run's DuckDB copy
of a CSV source when there is one, and written to `tables/group/branches.csv` (data rows only) of
the group's run folder; the runner adds its `Branches` sheet to the spreadsheet and hands the grid
to the landing page.

A branch's pack lives in `<out>/branches/<folder>/`: the folder is the branch code itself when the
code is a safe file name (letters, digits, `.`, `_`, `-`; not starting with `.`; at most 64
characters; unique whatever the letter case), else a short name made from the code (`b-` and 10
hex digits of its SHA-256), which the manifest lists beside the code.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aftersales.present.csvtables import write_csv
from aftersales.reports.grids import Grid
from aftersales.reports.group import branches
from aftersales.reports.periods import Period
from aftersales.run.scope import Scope, branches_found
from aftersales.source.reader import Source

__all__ = ["BRANCHES_FOLDER", "CSV", "GRID", "GROUP_ONLY", "REPORT", "TABLES", "ScopePlan", "branch_folders",
           "branch_names", "branches_grid", "has_branches", "missing_codes", "plan_scopes", "scope_info",
           "write_branches"]

#: The tables the group step reads: the run validates them with the reports' tables.
TABLES = ("parts_lines", "labour_lines", "clockings", "branches", "overheads")
#: Where the grid is written in the group's run folder: `tables/<REPORT>/<GRID>.csv` (SPEC §6.2 `group/branches`).
REPORT, GRID = "group", "branches"
CSV = Path("tables") / REPORT / f"{GRID}.csv"
#: Where the branches' packs are, inside the group's pack.
BRANCHES_FOLDER = "branches"
#: Reports made for the group only (SPEC §6.2).
GROUP_ONLY = ("sales",)
#: The line tables whose branch codes must be in `branches` (SPEC §6.1).
LINE_TABLES = ("parts_lines", "labour_lines", "clockings")

_SAFE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class ScopePlan:
    """One pack of a run: its scope, its folder inside the run's pack ('' for the pack itself) and
    its reports."""

    scope: Scope
    folder: str
    reports: tuple[str, ...]
    #: how the folder was named: "code" (the branch code) or "short name" (made from an unsafe code)
    named: str = "code"
    extra: dict = field(default_factory=dict, hash=False, compare=False)


def has_branches(source: Source) -> bool:
    """True when the source's parts or labour lines carry a `branch` column (it is a group)."""
    return any(source.has_column(t, "branch") for t in ("parts_lines", "labour_lines"))


def branch_folders(codes: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Branch code → (folder name, "code" or "short name"): the code itself when it is a safe file
    name unique whatever the letter case among the codes, else `b-<10 hex digits of its SHA-256>`."""
    folded: dict[str, int] = {}
    for code in codes:
        folded[code.casefold()] = folded.get(code.casefold(), 0) + 1
    out: dict[str, tuple[str, str]] = {}
    taken: set[str] = set()
    for code in codes:
        if _SAFE.fullmatch(code) and folded[code.casefold()] == 1 and code not in (".", ".."):
            out[code] = (code, "code")
            taken.add(code.casefold())
    for code in codes:
        if code in out:
            continue
        digest = hashlib.sha256(code.encode("utf-8")).hexdigest()
        size = 10
        name = f"b-{digest[:size]}"
        while name in taken:
            size += 2
            name = f"b-{digest[:size]}"
        out[code] = (name, "short name")
        taken.add(name)
    return out


def plan_scopes(source: Source, reports: Sequence[str], *, branch: str | None = None,
                by_branch: bool = False, note: Callable[[str], None] = lambda _: None) -> list[ScopePlan]:
    """The packs of a run, the group first. `branch` (one branch's pack) must be a code found on the
    lines or in `branches` (ValueError naming those that exist); Sales performance is left out of a
    branch's pack (ValueError when it was the only report asked for). `note` hears why `by_branch`
    makes the group's pack alone, when it does."""
    reports = tuple(reports)
    if branch is None and not by_branch:
        return [ScopePlan(Scope(), "", reports)]
    codes = branches_found(source)
    branch_reports = tuple(r for r in reports if r not in GROUP_ONLY)
    if branch is not None:
        if branch == "":
            raise ValueError("--branch names no branch: give a branch code, or leave it out for the group's pack")
        if not codes:
            raise ValueError(f"--branch {branch}: no line and no branches row of the source names a branch (a "
                             "source without a branch column is one branch); leave out --branch")
        if branch not in codes:
            raise ValueError(f"--branch {branch}: neither a parts, labour or clocking line nor the branches table "
                             "names that branch; the branches are "
                             f"{', '.join(repr(c) for c in codes)}")
        if not branch_reports:
            raise ValueError("the Sales performance report is made for the group only: a branch's pack needs "
                             "another report in --reports")
        return [ScopePlan(Scope(branch), "", branch_reports)]
    plans = [ScopePlan(Scope(), "", reports)]
    if not codes:
        note("--by-branch: no line and no branches row names a branch (a source without a branch column is "
             "one branch), so the group's pack is the only one")
    elif not branch_reports:
        note("--by-branch: the Sales performance report is made for the group only, so no branch has a pack")
    if branch_reports:
        for code, (name, named) in branch_folders(codes).items():
            plans.append(ScopePlan(Scope(code), f"{BRANCHES_FOLDER}/{name}", branch_reports, named))
    return plans


def scope_info(plan: ScopePlan, names: Mapping[str, str]) -> dict:
    """What a pack's manifest and landing page say of its scope: the group, or the branch with its name,
    its folder in the group's pack and how that was named, and the reports made for the group only."""
    if plan.scope.is_group:
        return {"scope": "group", "branch": ""}
    info = {"scope": "branch", "branch": plan.scope.branch, "name": names.get(plan.scope.branch, ""),
            "group_only": list(GROUP_ONLY)}
    if plan.folder:
        info.update(folder=plan.folder, folder_named=plan.named, group_index="../../index.html")
    return info


def branches_grid(source: Source, period: Period) -> Grid:
    """The Branches grid of the whole source (the group) over `period`."""
    def table(name: str):
        return source.table(name) if source.has(name) else None

    return branches(source.table("parts_lines"), source.table("labour_lines"), table("clockings"),
                    table("branches"), table("overheads"), period)


def write_branches(run_dir: Path, source: Source, period: Period, settings: Mapping[str, Any], *,
                   read_from: str = "") -> tuple[Grid, dict[str, dict[str, int]]]:
    """Compute the group's Branches grid and the codes missing from `branches`, write
    `<run_dir>/tables/group/branches.csv` and return both. `read_from` as in pacing_step.write_pacing."""
    if read_from and read_from != source.location:
        with Source.open(read_from, settings) as copy:
            grid, missing = branches_grid(copy, period), missing_codes(copy)
    else:
        grid, missing = branches_grid(source, period), missing_codes(source)
    write_csv(grid.rows, Path(run_dir) / CSV)
    return grid, missing


def missing_codes(source: Source) -> dict[str, dict[str, int]]:
    """Branch code on parts, labour or clocking lines but missing from `branches` → rows per table
    naming it (every row of the table, whatever its date); every code on the lines when the source
    has no `branches` table."""
    known: set[str] = set()
    if source.has_column("branches", "branch"):
        known = {row[0] for row in _rows(source, "branches", "SELECT DISTINCT CAST(branch AS VARCHAR) FROM t "
                                                             "WHERE branch IS NOT NULL")}
    out: dict[str, dict[str, int]] = {}
    for table in LINE_TABLES:
        if not source.has_column(table, "branch"):
            continue
        sql = ("SELECT CAST(branch AS VARCHAR), COUNT(*) FROM t WHERE branch IS NOT NULL AND branch <> '' "
               "GROUP BY 1 ORDER BY 1")
        for code, count in _rows(source, table, sql):
            if code not in known:
                out.setdefault(code, {})[table] = int(count)
    return dict(sorted(out.items()))


def _rows(source: Source, table: str, sql: str) -> list[tuple]:
    rel = source.table(table)
    rel = rel.relation(["branch"]) if hasattr(rel, "pushdown") else rel
    return rel.query("t", sql).fetchall()


def branch_names(source: Source) -> dict[str, str]:
    """Branch code → name from `branches` (empty without the table)."""
    if not source.has_column("branches", "name"):
        return {}
    rel = source.table("branches")
    rel = rel.relation(["branch", "name"]) if hasattr(rel, "pushdown") else rel
    return {str(c): "" if n is None else str(n)
            for c, n in rel.query("t", "SELECT CAST(branch AS VARCHAR), name FROM t").fetchall()}

