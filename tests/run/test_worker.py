"""One report's process (`run/worker.py`): a kernel that ends before it answers its first request ran no
cell, so the report is executed once more in a new kernel; any other failure is the report's outcome.

papermill and the spare kernels are replaced here (a spare would fork the test's own process): what is
checked is what the report's status says and how many kernels it asked for."""

from __future__ import annotations

import json

import nbformat
import pytest

from aftersales.run import kernel, worker


@pytest.fixture
def attempts(monkeypatch):
    """Each kernel start's outcome in turn (an exception, or None for a notebook executed), and the
    spares prepared and released."""
    seen = {"outcomes": [], "prepared": 0, "released": 0, "executed": 0}

    def execute_notebook(_input, output, **_kwargs):
        seen["executed"] += 1
        outcome = seen["outcomes"].pop(0)
        if outcome is not None:
            raise outcome
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Parts")]), output)

    monkeypatch.setattr(worker.papermill, "execute_notebook", execute_notebook)
    monkeypatch.setattr(worker.kernel, "die_with_parent", lambda: None)  # not the test's own process
    monkeypatch.setattr(worker.kernel, "prepare", lambda: seen.__setitem__("prepared", seen["prepared"] + 1))
    monkeypatch.setattr(worker.kernel, "release", lambda: seen.__setitem__("released", seen["released"] + 1))
    return seen


def status(run_dir) -> dict:
    return json.loads((run_dir / "status" / "parts.json").read_text(encoding="utf-8"))


def test_a_kernel_that_never_started_is_replaced_once_and_the_report_succeeds(attempts, tmp_path, capfd):
    attempts["outcomes"] = [RuntimeError(kernel.NEVER_STARTED), None]
    assert worker.run_report("parts", str(tmp_path), {}, 60, quiet=False) == 0
    assert status(tmp_path)["status"] == "ok" and status(tmp_path)["error"] is None
    assert (tmp_path / "parts.html").exists()
    assert attempts["executed"] == 2 and attempts["prepared"] == 2 and attempts["released"] == 2
    assert "the kernel ended before it started" in capfd.readouterr().err


def test_a_second_kernel_that_never_starts_fails_the_report_naming_why(attempts, tmp_path):
    attempts["outcomes"] = [RuntimeError(kernel.NEVER_STARTED), RuntimeError(kernel.NEVER_STARTED)]
    assert worker.run_report("parts", str(tmp_path), {}, 60, quiet=False) == 1
    assert status(tmp_path)["status"] == "failed"
    assert kernel.NEVER_STARTED in status(tmp_path)["error"]
    assert attempts["executed"] == 2 and attempts["released"] == 2


@pytest.mark.parametrize("error", [
    RuntimeError("Kernel died while waiting for execute reply."),  # cells had run: never executed again
    ValueError("a bad parameter"),
])
def test_any_other_failure_is_not_retried(attempts, tmp_path, error):
    attempts["outcomes"] = [error, None]
    assert worker.run_report("parts", str(tmp_path), {}, 60, quiet=False) == 1
    assert str(error) in status(tmp_path)["error"]
    assert attempts["executed"] == 1 and attempts["prepared"] == 1 and attempts["released"] == 1
