"""One report of a run, in its own process: execute the notebook, export its page.

`python -m aftersales.worker REPORT RUN_DIR PARAMETERS_JSON TIMEOUT` writes
RUN_DIR/status/REPORT.json with the outcome, whatever happens in the notebook.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

from .config import NOTEBOOK_DIR

KERNEL = "aftersales"


def main(report: str, run_dir: str, parameters_json: str, timeout: str) -> int:
    import papermill

    from .export import export

    run = Path(run_dir)
    started = time.monotonic()
    executed = run / "notebooks" / f"{report}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    status = {"report": report, "status": "ok", "error": None}
    try:
        papermill.execute_notebook(
            str(NOTEBOOK_DIR / f"{report}.ipynb"),
            str(executed),
            parameters=json.loads(parameters_json),
            kernel_name=KERNEL,
            progress_bar=False,
            log_output=False,
            execution_timeout=int(float(timeout)),
            cwd=str(NOTEBOOK_DIR),
        )
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
    if executed.exists():
        try:
            status["html_bytes"] = export(executed, run / f"{report}.html", f"{report.capitalize()} report")
        except Exception as exc:
            status.update(status="failed", error=f"HTML export failed: {exc}")
            traceback.print_exc()
    status["seconds"] = round(time.monotonic() - started, 3)
    (run / "status").mkdir(exist_ok=True)
    (run / "status" / f"{report}.json").write_text(json.dumps(status), encoding="utf-8")
    return 0 if status["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
