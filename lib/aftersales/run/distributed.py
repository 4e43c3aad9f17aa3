"""The Dask executor (`aftersales run --executor dask --scheduler tcp://HOST:PORT`): each report
notebook of a run is one task on an existing Dask cluster (`dask.distributed`).

A task runs on a worker exactly as the local executor runs a report (local.py: a process forked
warm from a report server, papermill, the page exported, killed at its time limit), but into a
private temporary folder on the worker, and returns every file the report wrote (page, executed
notebook, tables, summary, status) as bytes; the client writes them into the run folder. Workers
need not share a disk with the client: they are sent the notebook and the settings, and read the
source themselves (a database URL, or a path every worker sees at the same place).

A task's result depends only on its inputs, so Dask may run it again: on an error of the task
itself (`retries=`) and when the worker running it dies (the scheduler gives it to another
worker, up to its `allowed-failures`). A report that raises is a failed status, as locally.
"""

from __future__ import annotations

import copy
import os
import platform
import shutil
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from aftersales.run import local

#: Seconds to reach the scheduler, and then to wait for its first worker.
CONNECT_TIMEOUT = 10
#: Times Dask runs a task again after the task itself raised (a worker's full disk, say).
RETRIES = 2

_clients: dict[str, Any] = {}


class SchedulerError(Exception):
    """A Dask scheduler that cannot run a pack: unreachable, or without a worker."""


def connect(address: str):
    """A client of the scheduler at `address`, which has a worker (kept until `disconnect`)."""
    client = _clients.get(address)
    if client is not None and client.status == "running":
        return client
    from distributed import Client

    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except Exception as exc:  # refused, unknown host, timed out, a malformed address
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SchedulerError(f"the Dask scheduler at {address} cannot be reached ({reason[:300]}): start it, "
                             "or give its address as --scheduler tcp://HOST:PORT") from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    except Exception:
        client.close()
        raise SchedulerError(f"the Dask scheduler at {address} has no worker to run the reports: start some "
                             f"with `dask worker {address}`") from None
    _clients[address] = client
    return client


def disconnect(address: str) -> None:
    """Close the client of `address`, if any."""
    client = _clients.pop(address, None)
    if client is not None:
        client.close()


def execute(reports: Sequence[str], tmp: Path, parameters: dict, jobs: int, timeout: float,
            progress: Callable[[str], None], done: Callable[[str], None] = lambda _: None, *,
            scheduler: str) -> dict[str, dict]:
    """Run each report as a task on the Dask cluster at `scheduler`, at most `jobs` at a time (0: as
    many as the cluster takes), and write the files each returns into `tmp`; `done(report)` is
    called as each one's files are written. The source in `parameters` must be reachable from
    every worker."""
    tasks = [local.Task(report, report, tmp, parameters) for report in local.start_order(reports)]
    return execute_tasks(tasks, jobs, timeout, progress, done, scheduler=scheduler)


def execute_tasks(tasks: Sequence[local.Task], jobs: int, timeout: float, progress: Callable[[str], None],
                  done: Callable[[str], None] = lambda _: None, *, scheduler: str) -> dict[str, dict]:
    """`execute` for tasks of several scopes (local.Task), each written into its own run folder,
    submitted in the order given (earlier first: higher priority); statuses and `done(key)` are
    keyed by `Task.key`."""
    from distributed import as_completed

    from aftersales import config

    client = connect(scheduler)
    workers_info = client.scheduler_info().get("workers", {})
    workers = len(workers_info)
    at_once = sum(int(w.get("nthreads") or 1) for w in workers_info.values())  # tasks the cluster runs together
    progress(f"running on the Dask cluster at {scheduler} ({workers} worker{'s' if workers != 1 else ''})")
    settings: dict[str, str] = {}  # out_dir → the settings' YAML (each scope's email link is its own pack)
    inputs: dict[Path, dict[str, bytes]] = {}  # run folder → its tables written before the reports
    versions = _versions()
    token = uuid.uuid4().hex[:12]
    waiting = list(tasks)
    running: dict[str, local.Task] = {}  # Dask key → task
    submitted: dict[str, Any] = {}  # Dask key → future
    statuses: dict[str, dict] = {}
    started: dict[str, float] = {}
    finished = as_completed(loop=client.loop)

    def submit(task: local.Task) -> None:
        index = tasks.index(task)
        notebook = (config.NOTEBOOK_DIR / f"{task.report}.ipynb").read_bytes()
        out_dir = str(task.parameters.get("out_dir") or "")
        if out_dir not in settings:
            settings[out_dir] = _task_settings(task.parameters)
        if task.run_dir not in inputs:
            inputs[task.run_dir] = run_inputs(task.run_dir)
        name = task.report if len(tasks) == len({t.report for t in tasks}) else f"{task.report}-{index}"
        future = client.submit(run_task, task.report, notebook, dict(task.parameters), settings[out_dir], timeout,
                               versions, inputs[task.run_dir], key=f"aftersales-{name}-{token}", retries=RETRIES,
                               pure=False, priority=len(tasks) - index)
        running[future.key] = task
        submitted[future.key] = future
        started[task.key] = time.monotonic()
        finished.add(future)

    limit = jobs if jobs and jobs > 0 else len(tasks)
    ended: list[float] = []
    try:
        while waiting and len(running) < limit:
            submit(waiting.pop(0))
        for future in finished:
            task = running.pop(future.key)
            statuses[task.key] = _outcome(future, task.report, task.run_dir, task.parameters, config.NOTEBOOK_DIR,
                                          time.monotonic() - started[task.key])
            future.release()
            done(task.key)
            ended.append(time.monotonic())
            progress(local.said(statuses[task.key], len(statuses), len(tasks), task.label,
                                local.time_left(ended, len(tasks), min(limit, max(at_once, 1)))))
            if waiting:
                submit(waiting.pop(0))
    finally:
        if running:  # interrupted: the tasks left are of no use
            client.cancel([submitted[key] for key in running], force=True)
    return statuses


def _outcome(future, report: str, tmp: Path, parameters: Mapping, notebook_dir: Path, elapsed: float) -> dict:
    """The report's status; its files written into `tmp` as the local executor would have left them."""
    from distributed import KilledWorker

    try:
        result = future.result()
    except KilledWorker:
        return _failed(report, "the Dask workers running it died (out of memory, or stopped) as many times as the "
                               "scheduler allows (distributed.scheduler.allowed-failures)", elapsed)
    except Exception as exc:
        return _failed(report, f"its task failed on the Dask cluster (which tries a task {1 + RETRIES} times): "
                               f"{type(exc).__name__}: {exc}".strip(), elapsed)
    paths = result["paths"]
    relocate = {paths["run"]: str(tmp), paths["notebooks"]: str(notebook_dir),
                paths["params"]: str(parameters.get("params_file") or "")}
    files = dict(result["files"])
    name = f"notebooks/{report}.ipynb"
    if name in files:
        files[name] = local.relocated(files[name].decode("utf-8"), relocate).encode("utf-8")
    write_files(tmp, files)
    return result["status"]


def _failed(report: str, error: str, elapsed: float) -> dict:
    return {"report": report, "status": "failed", "error": error, "seconds": round(elapsed, 3)}


def write_files(root: Path, files: Mapping[str, bytes]) -> None:
    """Write each file (a relative path with `/` → its bytes) under `root`, a folder at a time."""
    folders: dict[Path, list[tuple[str, bytes]]] = defaultdict(list)
    for relative, data in files.items():
        parts = PurePosixPath(relative).parts
        if not parts or PurePosixPath(relative).is_absolute() or ".." in parts or "\\" in relative:
            raise ValueError(f"a task returned a file outside its run folder: {relative!r}")
        folders[root.joinpath(*parts[:-1])].append((parts[-1], data))
    for folder, items in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        where = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)  # thousands of drafts: open each by name in it
        try:
            for name, data in items:
                with open(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=where), "wb") as out:
                    out.write(data)
        finally:
            os.close(where)


def run_inputs(tmp: Path) -> dict[str, bytes]:
    """The tables the run wrote before the reports start, which reports read (the pacing grid the
    Accounts emails open with): every file under `tmp/tables`."""
    folder = tmp / "tables"
    if not folder.is_dir():
        return {}
    return {path.relative_to(tmp).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def _task_settings(parameters: Mapping) -> str:
    """The run's settings as YAML for the workers (the params file is on the client's disk). The
    emails' link to the Accounts page is the pack's folder here, as a local run's is (notify.owners
    `report_link`), not the worker's temporary folder."""
    import yaml

    from aftersales import params as params_module
    from aftersales.notify import final_run_dir

    settings = copy.deepcopy(params_module.load(parameters.get("params_file") or None))
    if not settings["notify"].get("report_link_base"):
        settings["notify"]["report_link_base"] = final_run_dir(Path(parameters["out_dir"])).resolve().as_uri()
    return yaml.safe_dump(settings, sort_keys=False, allow_unicode=True)


def _versions(names: Sequence[str] | None = None) -> dict[str, str]:
    """What the pack's bytes depend on: Python's major.minor and the packages the manifest lists."""
    from aftersales.run import finish

    out = finish.versions(finish.PACKAGES if names is None else names)
    out["python"] = ".".join(platform.python_version_tuple()[:2])
    return out


# ------------------------------------------------------------------ on the worker


def run_task(report: str, notebook: bytes, parameters: dict, settings: str, timeout: float,
             versions: Mapping[str, str], inputs: Mapping[str, bytes] | None = None) -> dict:
    """On a worker: execute one report notebook into a private folder holding `inputs` (the run's
    tables written before the reports); returns its status, every file it wrote (relative path →
    bytes; not the inputs) and the private paths the client replaces."""
    base = Path(tempfile.mkdtemp(prefix="aftersales-task-", dir=_scratch())).resolve()
    run_dir, notebooks, params_file = base / "run", base / "notebooks", base / "params.yaml"
    paths = {"run": str(run_dir), "notebooks": str(notebooks), "params": str(params_file)}
    try:
        problem = _other_versions(versions) or _unreachable(str(parameters.get("source") or ""))
        if problem:
            return {"status": _failed(report, problem, 0.0), "files": {}, "paths": paths}
        notebooks.mkdir()
        (notebooks / f"{report}.ipynb").write_bytes(notebook)
        params_file.write_text(settings, encoding="utf-8")
        run_dir.mkdir()
        write_files(run_dir, inputs or {})
        task_parameters = dict(parameters, out_dir=str(run_dir), params_file=str(params_file))
        started = time.monotonic()
        proc = local.start_report_process(report, run_dir, task_parameters, timeout, str(notebooks))
        while not local.wait_report(proc, started, timeout):
            time.sleep(0.05)
        proc.join()
        status = local.report_status(run_dir, report, proc.exitcode, time.monotonic() - started, timeout)
        files = {path.relative_to(run_dir).as_posix(): path.read_bytes()
                 for path in sorted(run_dir.rglob("*")) if path.is_file()}
        files = {name: data for name, data in files.items() if (inputs or {}).get(name) != data}
        return {"status": status, "files": files, "paths": paths}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _scratch() -> str | None:
    """The worker's own scratch folder (Dask removes what a dead worker left there), else the system's."""
    try:
        from distributed import get_worker

        return get_worker().local_directory
    except (ImportError, ValueError):
        return None


def _other_versions(expected: Mapping[str, str]) -> str:
    mine = _versions([name for name in expected if name != "python"])
    differ = [f"{name} {mine.get(name)} (the client has {version})" for name, version in expected.items()
              if mine.get(name) != version]
    if not differ:
        return ""
    return (f"the Dask worker runs other versions than the client, so its pages could differ: {', '.join(differ)}; "
            "install the same versions on every worker")


def _unreachable(source: str) -> str:
    if not source or "://" in source or Path(source).exists():
        return ""
    return (f"the source {source} is not reachable from the Dask worker on {platform.node()}: the workers read the "
            "source themselves; give a database URL, or a path every worker sees at the same place")
