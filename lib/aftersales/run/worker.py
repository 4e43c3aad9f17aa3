"""One report of a run, in its own process: execute the notebook, export its page.

The run forks report processes from a server that has imported papermill and
nbconvert once (`preload`), so each report pays only for its kernel and its work.
`run_report` writes RUN_DIR/status/REPORT.json with the outcome, whatever happens in
the notebook; `python -m aftersales.worker REPORT RUN_DIR PARAMETERS_JSON TIMEOUT` runs
one report by hand.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

import papermill

from aftersales import config
from aftersales.present.export import export
from aftersales.run import kernel

KERNEL = "aftersales"


def _log_to(path: Path) -> None:
    """Send this process's (and its kernel's) stdout and stderr to a log file."""
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    for stream in (1, 2):
        os.dup2(fd, stream)
    os.close(fd)


def _kernel_peak_mb() -> float:
    """Peak resident memory of the largest finished child process: the report's kernel."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


def _cpu_seconds() -> float:
    """Processor time of this report's process and its kernel (all of the kernel's threads)."""
    import resource

    return round(sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
                     for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)), 3)


def _execute(report: str, executed: Path, parameters: dict, timeout: float) -> None:
    """Execute the report's notebook in a warm kernel. A kernel that ends before it answers its first
    request (the ports its connection file names were taken meanwhile by another program on this
    machine, which happens under load) ran no cell: the notebook is executed once more in a new one."""
    for attempt in (1, 2):
        kernel.prepare()
        try:
            papermill.execute_notebook(
                str(config.NOTEBOOK_DIR / f"{report}.ipynb"),
                str(executed),
                parameters=parameters,
                kernel_name=KERNEL,
                progress_bar=False,
                request_save_on_cell_execute=False,
                log_output=False,
                execution_timeout=int(timeout),
                cwd=str(config.NOTEBOOK_DIR),
                kernel_manager_class=kernel.ReportKernelManager,
            )
            return
        except RuntimeError as exc:
            if attempt == 2 or kernel.NEVER_STARTED not in str(exc):
                raise
            print(f"{report}: the kernel ended before it started ({exc}); starting another", file=sys.stderr)
        finally:
            kernel.release()


def run_report(report: str, run_dir: str, parameters: dict, timeout: float, quiet: bool = True) -> int:
    kernel.die_with_parent()
    run = Path(run_dir)
    if quiet:
        _log_to(run / "status" / f"{report}.log")
    started = time.monotonic()
    executed = run / "notebooks" / f"{report}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    status = {"report": report, "status": "ok", "error": None}
    try:
        _execute(report, executed, parameters, timeout)
    except papermill.PapermillExecutionError as exc:
        status.update(status="failed", error=f"{exc.ename}: {exc.evalue} (cell {exc.exec_count})")
    except Exception as exc:  # a dead kernel, a timeout: the report fails, the run goes on
        if "Timeout" in type(exc).__name__:
            error = f"stopped: a step ran longer than the report's time limit of {float(timeout):g} s"
        elif "DeadKernel" in type(exc).__name__:
            error = "the report's kernel died (out of memory or killed)"
        else:
            error = f"{type(exc).__name__}: {exc}".strip()
        status.update(status="failed", error=error)
    status["execute_seconds"] = round(time.monotonic() - started, 3)
    status["kernel_peak_mb"] = _kernel_peak_mb()
    if executed.exists():
        try:
            status["html_bytes"] = export(executed, run / f"{report}.html", f"{report.capitalize()} report")
        except Exception as exc:
            status.update(status="failed", error=f"HTML export failed: {exc}")
            traceback.print_exc()
    status["seconds"] = round(time.monotonic() - started, 3)
    status["cpu_seconds"] = _cpu_seconds()
    (run / "status").mkdir(exist_ok=True)
    (run / "status" / f"{report}.json").write_text(json.dumps(status), encoding="utf-8")
    return 0 if status["status"] == "ok" else 1


if __name__ == "__main__":
    report, run_dir, parameters_json, timeout = sys.argv[1:]
    sys.exit(run_report(report, run_dir, json.loads(parameters_json), float(timeout), quiet=False))
