"""The local executor: each report notebook of a run in its own process on this machine, forked
warm from a process server (see kernel.py), at most `jobs` at a time, each stopped at its time limit.

Also what every executor shares: the order reports start in (`START_ORDER`), a report's status
read from its run folder (`report_status`), the `done` callback called in a fixed order whatever
order the reports end in (`InOrder`), and the executed notebooks made independent of where they
ran (`publish_notebooks`), so that the pack is the same byte for byte whichever executor ran it.
"""

from __future__ import annotations

import atexit
import json
import multiprocessing
import multiprocessing.connection
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aftersales.config import KERNEL_PROVISIONER

#: Seconds a report's process gets past its execution timeout to export its page.
EXPORT_GRACE = 15

#: The order reports start in, chosen so that two cores finish together. On the large month the
#: reports take about: accounts 5.0 s, workshop 3.6, sales 3.5, parts 3.2, labour 2.1. In this
#: order one core runs accounts then workshop (8.6 s) while the other runs sales, labour, parts
#: (8.8 s); slowest first would leave labour alone on one core for the last second. On small
#: data the five take about the same time and the order matters little. (Chosen for `--jobs 2`;
#: with the default of cores + 1 the longest, accounts, still starts first.)
START_ORDER = ("accounts", "sales", "labour", "workshop", "parts", "operations")


def default_jobs() -> int:
    """Reports run at once by default: one more than the cores. A report's process waits while its
    kernel starts and stops (about 0.5 s of a 3–4 s branch report, 1 s before `kernel.ReportKernelManager`
    dropped jupyter_client's fixed waits); a third report fills that time.
    Measured on two cores, 62 reports of a 30-branch group: 2 at once 131.5 s, 3 at once 113.6 s,
    4 at once 119.9 s."""
    return (os.cpu_count() or 1) + 1


def start_order(reports: Sequence[str]) -> list[str]:
    """`reports` in the order they start (START_ORDER; any other report last, as given)."""
    return sorted(reports, key=lambda r: START_ORDER.index(r) if r in START_ORDER else len(START_ORDER))


#: The private kernel folders: `aftersales-kernel-<pid of the run>-<random>` in the temporary folder.
KERNEL_HOME_PREFIX = "aftersales-kernel-"


def _kernel_home() -> str:
    """A private Jupyter data folder whose `aftersales` kernel is this very Python. Removed when the
    process ends; the folders of runs killed outright (no exit handler runs) are removed here."""
    _remove_orphan_homes()
    home = Path(tempfile.mkdtemp(prefix=f"{KERNEL_HOME_PREFIX}{os.getpid()}-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)  # removed when the run's process ends
    spec = home / "kernels" / "aftersales"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Aftersales", "language": "python",
        "metadata": {"kernel_provisioner": {"provisioner_name": KERNEL_PROVISIONER}},
    }), encoding="utf-8")
    return str(home)


def _remove_orphan_homes() -> None:
    """Remove this user's private kernel folders whose run's process no longer exists (a run killed
    with SIGKILL, or a machine that lost power, leaves its folder behind)."""
    if not hasattr(os, "getuid"):  # pragma: no cover - not a POSIX system
        return
    for home in Path(tempfile.gettempdir()).glob(f"{KERNEL_HOME_PREFIX}*-*"):
        pid = home.name[len(KERNEL_HOME_PREFIX):].split("-", 1)[0]
        try:
            if not pid.isdigit() or home.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(home, ignore_errors=True)
        except OSError:  # the folder went meanwhile, or the process is another user's: it lives
            continue


_server_lock = threading.Lock()


def start_report_server():
    """The process server report processes are forked from; it starts now and imports and
    warms what reports use (aftersales.warm) while the run checks its source."""
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    with _server_lock:  # a Dask worker may run two tasks at once
        if not getattr(start_report_server, "started", False):
            os.environ["JUPYTER_PATH"] = _kernel_home() + os.pathsep + os.environ.get("JUPYTER_PATH", "")
            os.environ.pop("MPLBACKEND", None)
            context.set_forkserver_preload(["aftersales.run.worker", "aftersales.run.warm"])
            forkserver.ensure_running()
            start_report_server.started = True
    return context


def start_report_process(report: str, run_dir: Path, parameters: dict, timeout: float,
                         notebook_dir: str | None = None) -> multiprocessing.Process:
    """Start one report's process (forked from the report server): it executes the notebook into
    `run_dir` and exports its page. `multiprocessing` lets no daemonic process (a Dask worker is
    one) start children, for fear of orphans; here none is left: the report server ends with the
    process that started it, and the report process and its kernel with it (kernel.die_with_parent)."""
    context = start_report_server()
    proc = context.Process(target=_report_process, args=(report, str(run_dir), parameters, timeout, notebook_dir),
                           name=f"aftersales-{report}")
    me = multiprocessing.current_process()
    with _server_lock:
        daemonic = me.daemon
        if daemonic:
            me.daemon = False
        try:
            proc.start()
        finally:
            if daemonic:
                me.daemon = True
    return proc


def wait_report(proc: multiprocessing.Process, started: float, timeout: float) -> bool:
    """True once the report's process has ended; a process past its time limit (and the grace to
    export its page) is killed first, its kernel with it."""
    if proc.is_alive() and time.monotonic() - started > timeout + EXPORT_GRACE:
        proc.kill()
        proc.join()
    return not proc.is_alive()


@dataclass(frozen=True)
class Task:
    """One report notebook to run for one scope into one run folder (a run of several scopes — a
    group and its branches — gives its executor the tasks of every scope at once)."""

    #: unique in the run: what statuses and `done` are keyed by
    key: str
    report: str
    run_dir: Path
    parameters: dict = field(hash=False, compare=False)
    #: how progress lines name the task's scope ("" for a run of one scope)
    label: str = ""


def execute(reports: Sequence[str], tmp: Path, parameters: dict, jobs: int, timeout: float,
            progress: Callable[[str], None], done: Callable[[str], None] = lambda _: None) -> dict[str, dict]:
    """Run each report in its own process, at most `jobs` at a time; a report past its
    time limit is killed (its kernel exits with it) and reported as failed. `done(report)`
    is called as each one ends."""
    tasks = [Task(report, report, tmp, parameters) for report in start_order(reports)]
    return execute_tasks(tasks, jobs, timeout, progress, done)


def execute_tasks(tasks: Sequence[Task], jobs: int, timeout: float, progress: Callable[[str], None],
                  done: Callable[[str], None] = lambda _: None) -> dict[str, dict]:
    """Run `tasks` in the order given, each in its own process, at most `jobs` at a time, each
    into its own run folder; statuses and `done(key)` are keyed by `Task.key`."""
    waiting = list(tasks)
    running: dict[str, tuple[Task, multiprocessing.Process, float]] = {}
    statuses: dict[str, dict] = {}
    ended: list[float] = []
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                task = waiting.pop(0)
                proc = start_report_process(task.report, task.run_dir, task.parameters, timeout)
                running[task.key] = (task, proc, time.monotonic())
            # woken the moment a report's process ends (its sentinel), at the latest after 0.5 s to
            # check the time limits: the next report starts at once, not at the next poll
            if running:
                multiprocessing.connection.wait([proc.sentinel for _, proc, _ in running.values()], timeout=0.5)
            for key, (task, proc, started) in list(running.items()):
                if not wait_report(proc, started, timeout):
                    continue
                del running[key]
                statuses[key] = report_status(task.run_dir, task.report, proc.exitcode,
                                              time.monotonic() - started, timeout)
                done(key)
                ended.append(time.monotonic())
                progress(said(statuses[key], len(statuses), len(tasks), task.label, time_left(ended, len(tasks), jobs)))
    finally:
        for _, proc, _ in running.values():
            proc.kill()
    return statuses


def said(status: dict, count: int, total: int, label: str = "", left: str = "") -> str:
    """The progress line of a report that ended (`label`: its scope, when the run has several), and `left`,
    what `time_left` says of the reports still to come."""
    word = "done" if status["status"] == "ok" else f"FAILED: {status['error']}"
    scope = f"{label}: " if label else ""
    return f"[{count}/{total}] {scope}{status['report']} {word} ({status.get('seconds', 0):.1f} s)" + \
        (f" · {left}" if left else "")


def time_left(ended: Sequence[float], total: int, jobs: int) -> str:
    """"about 4 min left": the reports still to come at the pace of the last `4 × jobs` that ended (`ended`:
    when each ended, in order), all processes together. The pace of the last few rather than of all: a group's
    reports come first and take longer than its branches'. Said only once that many have ended, and while it
    is a minute or more (a group's run of many branches; a dealer's run ends sooner)."""
    window = 4 * max(jobs, 1)
    if not window < len(ended) < total:
        return ""
    seconds = (ended[-1] - ended[-1 - window]) / window * (total - len(ended))
    return f"about {round(seconds / 60):,} min left" if seconds >= 60 else ""


def _report_process(report: str, run_dir: str, parameters: dict, timeout: float,
                    notebook_dir: str | None = None) -> None:
    from aftersales import config
    from aftersales.run.worker import run_report

    if notebook_dir:  # a Dask task's own copy of the client's notebooks
        config.NOTEBOOK_DIR = Path(notebook_dir)
    sys.exit(run_report(report, run_dir, parameters, timeout))


def report_status(tmp: Path, report: str, exitcode: int | None, elapsed: float, timeout: float) -> dict:
    """The outcome the report's process wrote, or why it wrote none."""
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




class InOrder:
    """Calls `done(report)` in the order of `reports`, whatever order they end in: the spreadsheet's
    sheets are then written in the same order by every executor and every run (its bytes depend
    on that order)."""

    def __init__(self, reports: Sequence[str], done: Callable[[str], None]):
        self.order, self.done = list(reports), done
        self.ended: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, report: str) -> None:
        with self.lock:
            self.ended.add(report)
            while self.order and self.order[0] in self.ended:
                self.done(self.order.pop(0))

    def flush(self) -> None:
        """Pass on the reports that ended, in order, skipping those that never did."""
        with self.lock:
            for report in self.order:
                if report in self.ended:
                    self.done(report)
            self.order = []


def publish_notebooks(run_dir: Path, reports: Sequence[str], parameters: Mapping, out: Path,
                      notebook_dir: Path, relocate: Mapping[str, str]) -> None:
    """Make each executed notebook in `run_dir/notebooks` independent of where and by which executor
    it ran: its injected parameters those of the run as the manifest shows them (`parameters`), its
    input and output paths the notebook's and the pack's, the cells papermill added with fixed ids,
    and any other mention of a temporary folder (`relocate`: old path → path shown) replaced."""
    for report in reports:
        path = run_dir / "notebooks" / f"{report}.ipynb"
        if path.exists():
            path.write_text(published(path.read_text(encoding="utf-8"), report, parameters, out, notebook_dir,
                                      relocate), encoding="utf-8")


def published(text: str, report: str, parameters: Mapping, out: Path, notebook_dir: Path,
              relocate: Mapping[str, str]) -> str:
    """One executed notebook's text as `publish_notebooks` leaves it."""
    import nbformat
    from papermill.translators import translate_parameters

    nb = nbformat.reads(relocated(text, relocate), as_version=4)
    source_ids = _cell_ids(notebook_dir / f"{report}.ipynb")
    language = nb.metadata.get("kernelspec", {}).get("language") or "python"
    kernel = nb.metadata.get("kernelspec", {}).get("name") or "python3"
    for index, cell in enumerate(nb.cells):
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = translate_parameters(kernel, language, dict(parameters), "Parameters")
            cell.id = "injected-parameters"
        elif cell.get("id") not in source_ids:  # papermill's error cells: random ids
            cell.id = f"papermill-{index}"
    meta = nb.metadata.get("papermill")
    if meta is not None:
        meta["parameters"] = dict(parameters)
        meta["input_path"] = str(notebook_dir / f"{report}.ipynb")
        meta["output_path"] = str(out / "notebooks" / f"{report}.ipynb")
    return nbformat.writes(nb)


def relocated(text: str, relocate: Mapping[str, str]) -> str:
    """A notebook's JSON text with each folder of `relocate` (old path → path shown) replaced,
    the longest first (one may hold another)."""
    for old, new in sorted(relocate.items(), key=lambda item: -len(item[0])):
        if old and old != new:
            text = text.replace(_in_json(old), _in_json(new))
    return text


def _in_json(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _cell_ids(path: Path) -> set[str]:
    try:
        return {c.get("id") for c in json.loads(path.read_text(encoding="utf-8")).get("cells", []) if c.get("id")}
    except (OSError, ValueError):
        return set()
