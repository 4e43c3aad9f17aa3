"""A scheduled run: validate the source, execute the report notebooks in parallel
processes, export their pages, then write the landing page and the manifest.

The pack is written into a hidden folder beside its target and moved into place only
once complete, so a crash or a kill never leaves a half-written pack that looks whole.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aftersales import config
from aftersales import params as params_module
from aftersales.config import CACHE_DIR, OUTPUT_DIR, REPORTS
from aftersales.reports.periods import Period
from aftersales.run import folder, group_step, local, pacing_step
from aftersales.run.group_step import ScopePlan
from aftersales.run.local import (  # noqa: F401 - the local executor, importable from here as before
    EXPORT_GRACE,
    START_ORDER,
    _kernel_home,
    execute,
    start_report_server,
)
from aftersales.source.contract import PAGE_TABLES, REPORT_TABLES, TABLES
from aftersales.source.reader import Source
from aftersales.source.sql import hide_credentials
from aftersales.source.validate import check

#: The names a report notebook's parameters cell declares (all are passed on every run).
NOTEBOOK_PARAMETERS = ("source", "period", "date_from", "date_to", "as_of", "params_file", "out_dir", "interactive",
                       "branch")

#: Where the reports of a run execute (SPEC §6.6 `--executor`): this machine's processes, or a Dask cluster.
EXECUTORS = ("local", "dask")


class RunError(Exception):
    """A run that cannot start (bad parameters, a locked output folder)."""


@dataclass
class RunRequest:
    period: Period
    source: str | None = None
    reports: Sequence[str] = REPORTS
    params_file: str | None = None
    out: str | None = None
    jobs: int | None = None
    wait_for_lock: bool = True
    #: "local" (processes on this machine) or "dask" (tasks on the Dask cluster whose scheduler is `scheduler`)
    executor: str = "local"
    scheduler: str | None = None
    #: one branch's pack (`--branch CODE`), or the group's pack and one per branch (`--by-branch`)
    branch: str | None = None
    by_branch: bool = False


@dataclass
class RunResult:
    out: Path
    statuses: dict[str, dict] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(s["status"] == "ok" for s in self.statuses.values())


def check_reports(reports: Sequence[str]) -> list[str]:
    if not [r for r in reports if r.strip()]:
        raise RunError(f"--reports names no report (an empty list would write an empty pack over the last one); "
                       f"choose from {', '.join(REPORTS)}")
    unknown = [r for r in reports if r not in REPORTS]
    if unknown:
        raise RunError(f"unknown report {', '.join(unknown)}; choose from {', '.join(REPORTS)}")
    return [r for r in REPORTS if r in reports]


def notebook_parameters(path: Path) -> set[str]:
    """The names a notebook's `parameters` cell assigns (read without executing it)."""
    import ast

    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            names = set()
            for node in ast.parse(source).body:
                targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
            return names
    return set()


def check_notebook_parameters(report: str, given: dict) -> None:
    """Refuse a parameter the notebook does not declare (papermill only warns)."""
    from aftersales import config

    declared = notebook_parameters(config.NOTEBOOK_DIR / f"{report}.ipynb")
    unknown = sorted(set(given) - declared)
    if unknown:
        raise RunError(f"notebook {report}.ipynb does not declare the parameter(s) {', '.join(unknown)}")


def default_out(period: Period) -> Path:
    return OUTPUT_DIR / period.label


def run(request: RunRequest, progress: Callable[[str], None] = lambda _: None) -> RunResult:
    """Validate, execute, export, and move the finished pack into place."""
    started = time.monotonic()
    reports = check_reports(request.reports)
    if request.jobs is not None and request.jobs < 1:
        raise RunError(f"--jobs must be 1 or more, got {request.jobs}")
    check_executor(request)
    if request.branch is not None and request.by_branch:
        raise RunError("--branch and --by-branch cannot be given together: --branch CODE makes one branch's pack, "
                       "--by-branch the group's pack and one per branch")
    settings = params_module.load(request.params_file)
    pacing_step.calendar_of(settings)  # a calendar setting that cannot be used stops the run before it starts
    period = request.period
    if period.start > period.as_of:
        raise RunError(f"the period starts on {period.start}, after --as-of {period.as_of}: data after as-of "
                       "never counts, so every figure would be empty; choose an earlier period or a later --as-of")
    out = (Path(request.out) if request.out else default_out(period)).resolve()
    try:
        folder.check_out(out, request.source)
    except folder.FolderError as exc:
        raise RunError(str(exc)) from None
    if request.source:
        source_spec = request.source
    else:
        from aftersales.source import demo

        progress("preparing the built-in demo data")
        source_spec = str(demo.ensure(period.as_of))
    # a URL's password is used but never stored or shown (issue 23): taken out before the report processes start
    source_spec = hide_credentials(_absolute(source_spec))
    if request.executor == "dask":
        _connect(request.scheduler)
    else:
        start_report_server()
    tables = sorted({t for r in reports for t in REPORT_TABLES[r]} | set(PAGE_TABLES) | set(pacing_step.TABLES)
                    | set(group_step.TABLES))
    source = Source.open(source_spec, settings)
    try:
        fingerprint = source.fingerprint()
        marker = _validated_marker(fingerprint, tables)
        if marker is not None and marker.exists():
            progress(f"{source.describe()} met the data contract when last checked and has not changed since")
        else:
            progress(f"checking {source.describe()}")
            check(source, tables)
            if marker is not None:
                marker.parent.mkdir(parents=True, exist_ok=True)
                marker.write_text(f"{source.describe()}\n", encoding="utf-8")
        source_info = {"source": source.describe(), "fingerprint": fingerprint, "row_counts": source.row_counts()}
        try:
            plans = group_step.plan_scopes(source, reports, branch=request.branch, by_branch=request.by_branch,
                                           note=progress)
        except ValueError as exc:
            raise RunError(str(exc)) from None
    except BaseException:
        source.close()
        raise
    parameters = {
        "source": source_spec, "period": "", "date_from": period.start.isoformat(),
        "date_to": period.end.isoformat(), "as_of": period.as_of.isoformat(),
        "params_file": str(Path(request.params_file).resolve()) if request.params_file else "",
        "out_dir": "", "interactive": False, "branch": "",
    }
    for report in reports:
        check_notebook_parameters(report, parameters)
    try:
        lock = folder.Lock(out, request.wait_for_lock)
        with source, lock:
            for said in folder.recover(out):
                progress(said)
            statuses = _write_pack(request, out, source, source_spec, tables, plans, settings, parameters,
                                   source_info, started, progress)
    except folder.FolderError as exc:
        raise RunError(str(exc)) from None
    except Exception as exc:  # a full disk shows as OSError, the engine's IOException or a cut JSON file
        if _no_space(exc, out.parent):
            raise RunError(_disk_full(out)) from None
        raise
    finally:
        if request.executor == "dask":
            from aftersales.run import distributed

            distributed.disconnect(request.scheduler)
    return RunResult(out, statuses)


def check_executor(request: RunRequest) -> None:
    """Refuse an executor that does not exist, and a scheduler address without the Dask executor or
    the Dask executor without one."""
    if request.executor not in EXECUTORS:
        raise RunError(f"unknown executor {request.executor!r}; choose {' or '.join(EXECUTORS)}")
    if request.executor == "dask" and not (request.scheduler or "").strip():
        raise RunError("--executor dask needs the address of the Dask scheduler: --scheduler tcp://HOST:PORT")
    if request.executor != "dask" and request.scheduler:
        raise RunError(f"--scheduler {request.scheduler} is for --executor dask; add it, or leave out --scheduler "
                       "to run the reports on this machine")


def _connect(address: str) -> None:
    """Reach the Dask scheduler before any work, so that a wrong address stops the run at once."""
    from aftersales.run import distributed

    try:
        distributed.connect(address)
    except distributed.SchedulerError as exc:
        raise RunError(str(exc)) from None


def _no_space(exc: BaseException, where: Path) -> bool:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    if "No space left on device" in str(exc):
        return True
    try:
        return shutil.disk_usage(where).free < 1 << 20
    except OSError:
        return False


def _disk_full(out: Path) -> str:
    return (f"the disk holding {out.parent} is full: the pack was not written and the previous one, if any, "
            f"is kept as it was; free some space there and run again")


@dataclass
class _Pack:
    """One pack of the run being written: its plan, its run folder inside the run's hidden folder and
    where it lands, the parameters shown (manifest, published notebooks) and given to its notebooks."""

    plan: ScopePlan
    run_dir: Path
    out: Path
    shown: dict
    given: dict
    label: str = ""
    book: Any = None
    pacing: Any = None
    in_order: Any = None

    def key(self, report: str) -> str:
        """The report's key in the run's statuses: its name, after the pack's folder for a branch's."""
        return f"{self.plan.folder}/{report}" if self.plan.folder else report


def _write_pack(request: RunRequest, out: Path, source: Source, source_spec: str, tables, plans: list[ScopePlan],
                settings, parameters, source_info, started, progress) -> dict[str, dict]:
    """Execute the reports of every pack (the group's and its branches') into a hidden folder beside
    `out`, finish each pack (the branches' first, the group's linking to them) and swap the whole
    tree in at once."""
    period = request.period
    on_dask = request.executor == "dask"
    jobs = request.jobs or (0 if on_dask else local.default_jobs())  # Dask: as many as the cluster takes
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    snapshot_file = folder.snapshot_path(out)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        read_from = parameters["source"]
        if not on_dask and _worth_a_snapshot(source_spec):  # Dask workers read the source themselves
            progress("reading the source once for every report")
            read_from = snapshot(source, tables, snapshot_file)
        at_once = f"{jobs} at a time" if jobs else "as many at a time as the cluster takes"
        branches = len(plans) - 1
        scopes = f" for the group and {branches} branch{'es' if branches > 1 else ''}" if branches else (
            f" for {plans[0].scope.label}" if not plans[0].scope.is_group else "")
        progress(f"running {', '.join(plans[0].reports)}{scopes} for {period.start} to {period.end} ({at_once})")
        from aftersales.present import workbook
        from aftersales.run.finish import finish

        packs = []
        for plan in plans:
            run_dir, pack_out = (tmp / plan.folder, out / plan.folder) if plan.folder else (tmp, out)
            run_dir.mkdir(parents=True, exist_ok=True)
            shown = dict(parameters, out_dir=str(pack_out), branch=plan.scope.branch)
            pack = _Pack(plan, run_dir, pack_out, shown, dict(shown, out_dir=str(run_dir), source=read_from),
                         plan.scope.label if len(plans) > 1 else "")
            packs.append(pack)
        # before the reports (their emails read it), from where they read the source
        pacing = pacing_step.write_pacing({pack.plan.scope: pack.run_dir for pack in packs}, source, period,
                                          settings, read_from=read_from)
        for pack in packs:
            pack.pacing = pacing[pack.plan.scope]
            pack.book = workbook.InBackground(pack.run_dir / workbook.file_name(period.start, period.end),
                                              pack.run_dir)
            pack.book.add_report(pacing_step.REPORT)
        group = packs[0] if plans[0].scope.is_group else None
        league, missing = None, None
        if group is not None and group_step.has_branches(source):
            league, missing = group_step.write_branches(group.run_dir, source, period, settings, read_from=read_from)
            group.book.add_report(group_step.REPORT)
        relocate = {str(tmp): str(out), read_from: source_spec}
        statuses = _execute(request, packs, jobs, settings, progress, relocate)
        names = group_step.branch_names(source) if len(plans) > 1 or group is None else {}
        branch_packs = []
        for pack in packs[::-1]:  # the branches' packs first: the group's landing page counts their alerts
            plan = pack.plan
            mine = {r: statuses[pack.key(r)] for r in plan.reports if pack.key(r) in statuses}
            scope_info = group_step.scope_info(plan, names)
            manifest = finish(pack.run_dir, pack.out, period=period, reports=plan.reports, statuses=mine,
                              settings=settings, parameters=dict(pack.shown, out_dir=str(pack.run_dir)),
                              source_info=source_info, seconds=time.monotonic() - started, book=pack.book,
                              pacing=pack.pacing, scope=scope_info,
                              **({"league": league, "missing_branches": missing, "branch_packs": branch_packs[::-1]}
                                 if pack is group else {}))
            if not plan.scope.is_group:
                branch_packs.append({**scope_info, "alerts": manifest.get("alerts", 0),
                                     "href": f"{plan.folder}/index.html" if plan.folder else None})
        full = [r for r, s in statuses.items() if "No space left on device" in str(s.get("error") or "")]
        if full:
            raise OSError(errno.ENOSPC, f"no space left while writing {', '.join(full)}")
        folder.swap(tmp, out)
        if settings["notify"].get("send_on_run"):
            _send_owner_emails(packs, statuses, settings, progress)
        if settings["notify"].get("digest_on_run"):  # once the pack is in place: the digests read it
            from aftersales.notify.digest import digest_on_run

            progress(digest_on_run(out, settings))
    except BaseException:  # Ctrl-C, a crash or a full disk: the previous pack stays, nothing half-written
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        snapshot_file.unlink(missing_ok=True)
        Path(f"{snapshot_file}.wal").unlink(missing_ok=True)
    return statuses


def _send_owner_emails(packs: list[_Pack], statuses: dict[str, dict], settings, progress) -> None:
    """`notify.send_on_run`: send each pack's owner emails once the whole tree is in place, from this
    process, and only for a pack whose Accounts report succeeded — never from a report's task, which a
    failing later cell or an executor's retry (Dask runs a lost task again) would make send too early or
    twice."""
    from aftersales.notify.sending import send_on_run

    for pack in packs:
        if statuses.get(pack.key("accounts"), {}).get("status") == "ok":
            said = send_on_run(pack.out, settings)
            progress(f"{pack.label}: {said}" if pack.label else said)


def _execute(request: RunRequest, packs: list[_Pack], jobs: int, settings, progress,
             relocate: dict[str, str]) -> dict[str, dict]:
    """Run the reports of every pack with the request's executor, as one pool of tasks (the group's
    first). As each ends its notebook is published; each pack's spreadsheet gets its sheets in start
    order whatever order they end in, so that the pack is the same whichever executor ran it."""
    tasks, owners = [], {}
    for pack in packs:
        pack.in_order = local.InOrder(local.start_order(pack.plan.reports), pack.book.add_report)
        for report in local.start_order(pack.plan.reports):
            key = pack.key(report)
            tasks.append(local.Task(key, report, pack.run_dir, pack.given, pack.label))
            owners[key] = (pack, report)

    def ended(key: str) -> None:  # the executed notebook as the pack shows it, whichever executor ran it
        pack, report = owners[key]
        local.publish_notebooks(pack.run_dir, [report], pack.shown, pack.out, config.NOTEBOOK_DIR, relocate)
        pack.in_order(report)

    timeout = float(settings["run"]["timeout_seconds"])
    if request.executor == "dask":
        from aftersales.run import distributed

        statuses = distributed.execute_tasks(tasks, jobs, timeout, progress, done=ended, scheduler=request.scheduler)
    else:
        statuses = local.execute_tasks(tasks, jobs, timeout, progress, done=ended)
    for pack in packs:
        pack.in_order.flush()
    return statuses


def _validated_marker(fingerprint: str | None, tables: Sequence[str]) -> Path | None:
    """Where a passed validation of these exact contents (and this validator) is remembered."""
    import hashlib

    from aftersales import source

    if not fingerprint:
        return None
    key = hashlib.sha256(fingerprint.encode())
    key.update(",".join(sorted(tables)).encode())
    for module in sorted(Path(source.__file__).parent.glob("*.py")):  # the contract, readers and rules
        key.update(module.read_bytes())
    return CACHE_DIR / "validated" / key.hexdigest()


def _worth_a_snapshot(spec: str) -> bool:
    """CSV files are parsed again by every query: read them once into a DuckDB file."""
    path = Path(spec)
    return path.is_dir() and any(path.glob("*.csv"))


def snapshot(source: Source, tables: Sequence[str], path: Path) -> str:
    """Copy the typed tables the reports need into a DuckDB file; returns its path."""
    path.unlink(missing_ok=True)
    con = source.con
    con.execute(f"ATTACH '{_quoted(str(path))}' AS snapshot")
    try:
        for table in tables:
            if source.has(table):  # the columns the source has: an absent optional column stays absent
                columns = ", ".join(f'"{c}"' for c in TABLES[table].all_names if source.has_column(table, c))
                con.execute(f'CREATE TABLE snapshot."{table}" AS SELECT {columns} FROM "{table}"')
    finally:
        con.execute("DETACH snapshot")
    return str(path)


def _quoted(text: str) -> str:
    """Text inside a SQL string literal: a path with an apostrophe stays one path (ATTACH takes no
    bound parameter)."""
    return text.replace("'", "''")


def _absolute(spec: str) -> str:
    if "://" in spec:
        return spec
    return str(Path(spec).resolve())
