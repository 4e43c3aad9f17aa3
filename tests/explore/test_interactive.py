"""The report notebooks in a live kernel: with interactive = True each builds its explorer, the
controls redraw and drill without an error; with the default (papermill's) nothing is built."""

from __future__ import annotations

import datetime as dt
import json
import os

import nbformat
import pytest
from nbclient import NotebookClient
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from aftersales.config import NOTEBOOK_DIR, REPORTS
from aftersales.run.runner import _kernel_home
from aftersales.source.demo import generate

AS_OF = "2025-06-15"
WIDGET = "application/vnd.jupyter.widget-view+json"

#: Run after the notebook: drives its explorer the way an analyst would, and says how it went.
DRIVE = """
import json as _json
_ex = widgets.explore(ctx)
assert _ex is not None and _ex.error is None, _ex.message
_ex.preset.value = "ytd"
assert _ex.error is None, _ex.message
_control = next(iter(_ex.filters.values()))
_control.value = (_control.options[0][1],)
assert _ex.error is None, _ex.message
if _ex.drill_value.options:
    _ex.drill_value.value = _ex.drill_value.options[0][1]
    if _ex.drill_item.options:
        _ex.drill_item.value = _ex.drill_item.options[0][1]
assert _ex.error is None, _ex.message
print(_json.dumps({"seconds": _ex.seconds, "items": None if _ex.items is None else len(_ex.items),
                   "detail": len(_ex.detail), "message": _ex.message}))
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The small demo dataset, made once for the module."""
    folder = tmp_path_factory.mktemp("interactive") / "demo"
    generate(folder, as_of=dt.date.fromisoformat(AS_OF), seed=0, scale="small")
    return folder


@pytest.fixture(scope="module")
def kernel():
    """The `aftersales` kernel name pointing at this very Python, as a run sees it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", _kernel_home() + os.pathsep + os.environ.get("JUPYTER_PATH", ""))
        patch.delenv("MPLBACKEND", raising=False)
        yield "aftersales"


def execute(report: str, kernel: str, parameters: dict, extra: str) -> nbformat.NotebookNode:
    nb = load_notebook_node(str(NOTEBOOK_DIR / f"{report}.ipynb"))
    nb = parameterize_notebook(nb, parameters)
    nb.cells.append(nbformat.v4.new_code_cell(extra))
    NotebookClient(nb, timeout=300, kernel_name=kernel,
                   resources={"metadata": {"path": str(NOTEBOOK_DIR)}}).execute()
    return nb


def explore_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and "widgets.explore(ctx)" in c.source
               and "_ex" not in c.source]
    return cell


def errors(nb: nbformat.NotebookNode) -> list[str]:
    return [f"{o.get('ename')}: {o.get('evalue')}" for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


@pytest.mark.parametrize("report", REPORTS)
def test_notebook_runs_live_with_widgets(report, demo, kernel):
    """An analyst opening a report in JupyterLab gets its control bar, and using it raises nothing."""
    nb = execute(report, kernel, {"source": str(demo), "as_of": AS_OF, "interactive": True}, DRIVE)
    assert errors(nb) == []
    shown = explore_cell(nb).outputs
    assert len(shown) == 1 and WIDGET in shown[0]["data"], shown
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    result = json.loads(printed.strip().splitlines()[-1])
    assert result["seconds"] is not None and not result["message"].startswith("Could not")


def test_notebook_under_papermill_builds_no_widget(demo, kernel):
    """The scheduled run's default (interactive False) shows nothing in the explore cell and builds no explorer."""
    # (reports.drill is not among them: the pages' own drill-down, reports.page_drill, shares its SQL literals)
    explorer = ("aftersales.explore.views", "aftersales.explore.pick", "aftersales.explore.rows")
    nb = execute("parts", kernel, {"source": str(demo), "as_of": AS_OF},
                 f"import sys\nprint(sorted(m for m in {explorer!r} if m in sys.modules))")
    assert errors(nb) == []
    assert explore_cell(nb).outputs == []
    assert nb.cells[-1].outputs[0]["text"].strip() == "[]"
