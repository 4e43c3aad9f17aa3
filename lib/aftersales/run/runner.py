"""A scheduled run: validate the source, execute the report notebooks in parallel
processes, export their pages, then write the landing page and the manifest.

The pack is written into a hidden folder beside its target and moved into place only
once complete, so a crash or a kill never leaves a half-written pack that looks whole.
"""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aftersales import params as params_module
from aftersales.config import CACHE_DIR, KERNEL_PROVISIONER, OUTPUT_DIR, REPORTS
from aftersales.reports.periods import Period
from aftersales.run import folder
from aftersales.source.contract import REPORT_TABLES
from aftersales.source.reader import Source
from aftersales.source.validate import check

#: The names a report notebook's parameters cell declares (all are passed on every run).
NOTEBOOK_PARAMETERS = ("source", "period", "date_from", "date_to", "as_of", "params_file", "out_dir", "interactive",
                       "branch")


#: Seconds a report's process gets past its execution timeout to export its page.
EXPORT_GRACE = 15


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


def _kernel_home() -> str:
    """A private Jupyter data folder whose `aftersales` kernel is this very Python."""
    home = Path(tempfile.mkdtemp(prefix="aftersales-kernel-"))
    spec = home / "kernels" / "aftersales"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Aftersales", "language": "python",
        "metadata": {"kernel_provisioner": {"provisioner_name": KERNEL_PROVISIONER}},
    }), encoding="utf-8")
    return str(home)


#: The order reports start in, chosen so that two cores finish together. On the large month the
#: reports take about: accounts 5.0 s, workshop 3.6, sales 3.5, parts 3.2, labour 2.1. In this
#: order one core runs accounts then workshop (8.6 s) while the other runs sales, labour, parts
#: (8.8 s); slowest first would leave labour alone on one core for the last second. On small
#: data the five take about the same time and the order matters little.
START_ORDER = ("accounts", "sales", "labour", "workshop", "parts")


def start_report_server():
    """The process server report processes are forked from; it starts now and imports and
    warms what reports use (aftersales.warm) while the run checks its source."""
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    if not getattr(start_report_server, "started", False):
        os.environ["JUPYTER_PATH"] = _kernel_home() + os.pathsep + os.environ.get("JUPYTER_PATH", "")
        os.environ.pop("MPLBACKEND", None)
        context.set_forkserver_preload(["aftersales.run.worker", "aftersales.run.warm"])
        forkserver.ensure_running()
        start_report_server.started = True
    return context


def execute(reports: Sequence[str], tmp: Path, parameters: dict, jobs: int, timeout: float,
            progress: Callable[[str], None], done: Callable[[str], None] = lambda _: None) -> dict[str, dict]:
    """Run each report in its own process, at most `jobs` at a time; a report past its
    time limit is killed (its kernel exits with it) and reported as failed. `done(report)`
    is called as each one ends."""
    context = start_report_server()
    waiting = sorted(reports, key=lambda r: START_ORDER.index(r) if r in START_ORDER else len(START_ORDER))
    running: dict[str, tuple[multiprocessing.Process, float]] = {}
    statuses: dict[str, dict] = {}
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                report = waiting.pop(0)
                proc = context.Process(target=_report_process, args=(report, str(tmp), parameters, timeout),
                                       name=f"aftersales-{report}")
                proc.start()
                running[report] = (proc, time.monotonic())
            time.sleep(0.05)
            for report, (proc, started) in list(running.items()):
                elapsed = time.monotonic() - started
                if proc.is_alive() and elapsed > timeout + EXPORT_GRACE:
                    proc.kill()
                    proc.join()
                if proc.is_alive():
                    continue
                del running[report]
                statuses[report] = _status(tmp, report, proc.exitcode, elapsed, timeout)
                done(report)
                status = statuses[report]
                word = "done" if status["status"] == "ok" else f"FAILED: {status['error']}"
                progress(f"[{len(statuses)}/{len(reports)}] {report} {word} ({status.get('seconds', elapsed):.1f} s)")
    finally:
        for proc, _ in running.values():
            proc.kill()
    return statuses


def _report_process(report: str, run_dir: str, parameters: dict, timeout: float) -> None:
    from aftersales.run.worker import run_report

    sys.exit(run_report(report, run_dir, parameters, timeout))


def _status(tmp: Path, report: str, exitcode: int | None, elapsed: float, timeout: float) -> dict:
    status_file = tmp / "status" / f"{report}.json"
    if status_file.exists():
        return json.loads(status_file.read_text(encoding="utf-8"))
    if elapsed > timeout:
        reason = f"stopped after {elapsed:.0f} s: the report's time limit is {timeout:g} s"
    else:
        log = tmp / "status" / f"{report}.log"
        tail = log.read_text(encoding="utf-8", errors="replace").strip()[-500:] if log.exists() else ""
        reason = f"the report's process ended without a result (exit code {exitcode}) {tail}".strip()
    return {"report": report, "status": "failed", "error": reason, "seconds": round(elapsed, 3)}


def default_out(period: Period) -> Path:
    return OUTPUT_DIR / period.label


def run(request: RunRequest, progress: Callable[[str], None] = lambda _: None) -> RunResult:
    """Validate, execute, export, and move the finished pack into place."""
    started = time.monotonic()
    reports = check_reports(request.reports)
    if request.jobs is not None and request.jobs < 1:
        raise RunError(f"--jobs must be 1 or more, got {request.jobs}")
    settings = params_module.load(request.params_file)
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
    source_spec = _absolute(source_spec)
    start_report_server()
    tables = sorted({t for r in reports for t in REPORT_TABLES[r]})
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
            statuses = _write_pack(request, out, source, source_spec, tables, reports, settings, parameters,
                                   source_info, started, progress)
    except folder.FolderError as exc:
        raise RunError(str(exc)) from None
    except Exception as exc:  # a full disk shows as OSError, the engine's IOException or a cut JSON file
        if _no_space(exc, out.parent):
            raise RunError(_disk_full(out)) from None
        raise
    return RunResult(out, statuses)


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


def _write_pack(request: RunRequest, out: Path, source: Source, source_spec: str, tables, reports, settings,
                parameters, source_info, started, progress) -> dict[str, dict]:
    """Execute the reports into a hidden folder beside `out`, finish it and swap it in."""
    period = request.period
    jobs = request.jobs or os.cpu_count() or 1
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    snapshot_file = folder.snapshot_path(out)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        notebook_parameters = dict(parameters, out_dir=str(tmp))
        if _worth_a_snapshot(source_spec):
            progress("reading the source once for every report")
            notebook_parameters["source"] = snapshot(source, tables, snapshot_file)
        progress(f"running {', '.join(reports)} for {period.start} to {period.end} ({jobs} at a time)")
        from aftersales.present import workbook
        from aftersales.run.finish import finish

        book = workbook.InBackground(tmp / workbook.file_name(period.start, period.end), tmp)
        statuses = execute(reports, tmp, notebook_parameters, jobs,
                           float(settings["run"]["timeout_seconds"]), progress, done=book.add_report)
        finish(tmp, out, period=period, reports=reports, statuses=statuses, settings=settings,
               parameters=dict(parameters, out_dir=str(tmp)), source_info=source_info,
               seconds=time.monotonic() - started, book=book)
        full = [r for r, s in statuses.items() if "No space left on device" in str(s.get("error") or "")]
        if full:
            raise OSError(errno.ENOSPC, f"no space left while writing {', '.join(full)}")
        folder.swap(tmp, out)
    except BaseException:  # Ctrl-C, a crash or a full disk: the previous pack stays, nothing half-written
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        snapshot_file.unlink(missing_ok=True)
        Path(f"{snapshot_file}.wal").unlink(missing_ok=True)
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
            if source.has(table):
                con.execute(f'CREATE TABLE snapshot."{table}" AS SELECT * FROM "{table}"')
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
