"""The report notebooks as the repository holds them and as a scheduler runs them: committed without
outputs, opening with a plain first cell, and runnable by papermill with the kernel they name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from factory import make_source

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
REPORTS = ("accounts", "labour", "operations", "parts", "sales", "workshop")


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def committed() -> dict[str, dict]:
    """Each notebook git tracks, as its index (what a commit takes) holds it."""
    try:
        names = _git("ls-files", "notebooks/*.ipynb").split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return {name: json.loads(_git("show", f":{name}")) for name in names}


def test_every_report_notebook_is_tracked():
    """Each report's notebook is in the repository (so the checks below look at all of them)."""
    assert sorted(Path(n).stem for n in committed()) == sorted(REPORTS)


def outputs_of(name: str, nb: dict) -> list[str]:
    """What of a notebook should never be committed: outputs, execution counts, saved widget state."""
    dirty = [f"{name} cell {i}" for i, cell in enumerate(nb["cells"])
             if cell.get("outputs") or cell.get("execution_count") is not None]
    return dirty + ([f"{name} metadata.widgets"] if "widgets" in nb.get("metadata", {}) else [])


def test_committed_notebooks_carry_no_outputs():
    """No committed notebook holds outputs, execution counts or saved widget state (customer names, figures)."""
    dirty = [found for name, nb in committed().items() for found in outputs_of(name, nb)]
    assert not dirty, "notebooks committed with outputs (run `make lab` once to install the nbstripout filter): " \
        + ", ".join(dirty)


def test_the_output_check_sees_what_the_lab_autosaves():
    """The check above catches a notebook autosaved by the Lab: an output, an execution count, widget state."""
    nb = json.loads((NOTEBOOKS / "parts.ipynb").read_text(encoding="utf-8"))
    assert outputs_of("parts", nb) == []
    code = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    nb["cells"][code[1]]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "Alpha Garage"}]
    nb["cells"][code[2]]["execution_count"] = 3
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    assert outputs_of("parts", nb) == [f"parts cell {code[1]}", f"parts cell {code[2]}", "parts metadata.widgets"]


@pytest.mark.parametrize("report", REPORTS)
def test_notebook_opens_with_what_it_is(report):
    """A notebook's first cell says in words what the report is, how to change its period and filters,
    and that the widgets appear in the Lab; papermill still finds the tagged parameters cell."""
    nb = json.loads((NOTEBOOKS / f"{report}.ipynb").read_text(encoding="utf-8"))
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown"
    text = "".join(first["source"])
    for words in ("What this is", "Change the period", "`period`", "`date_from`", "Filters and widgets",
                  "make lab", "interactive = True", "papermill"):
        assert words in text, f"{report}: the first cell does not say {words!r}"
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and tagged[0]["cell_type"] == "code"
    assert nb["metadata"]["kernelspec"]["name"] == "aftersales"


def test_papermill_runs_a_notebook_with_the_kernel_it_names(tmp_path):
    """`papermill notebooks/workshop.ipynb out.ipynb -p period last-month` works without `-k`, with
    the `aftersales` kernel `make setup` installs into .venv, and draws the report of that period."""
    venv_bin = Path(sys.executable).parent
    papermill = venv_bin / "papermill"
    if not papermill.exists():
        pytest.skip("papermill is not installed beside this Python")
    source = make_source(tmp_path / "src", clockings=[
        dict(technician="T1", technician_name="Tom", clock_in="2024-02-05T08:00", clock_out="2024-02-05T12:00",
             wip_no="", line_no="", idle_code="TRAIN", idle_productive="false", description="Training")])
    env = {k: v for k, v in os.environ.items() if k not in ("JUPYTER_PATH", "AFTERSALES_INTERACTIVE")}
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    out = tmp_path / "out.ipynb"
    done = subprocess.run(
        [str(papermill), str(NOTEBOOKS / "workshop.ipynb"), str(out), "-p", "period", "last-month",
         "-p", "source", str(source), "-p", "as_of", "2024-03-15"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    nb = json.loads(out.read_text(encoding="utf-8"))
    assert nb["metadata"]["papermill"]["parameters"]["period"] == "last-month"
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    html = "".join("".join(o.get("data", {}).get("text/html", "")) for o in outputs)
    # last month of 15 March 2024: 1 to 29 February 2024 (a leap year)
    assert "01 Feb 2024 to 29 Feb 2024" in html
    assert "Tom" in html or "T1" in html
