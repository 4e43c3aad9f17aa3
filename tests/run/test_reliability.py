"""Runs that never half-fail: a failing, hanging or killed report, two runs at once,
and the same inputs giving the same pack."""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from test_parts import LINES

from aftersales.config import NOTEBOOK_DIR, REPORTS
from factory import make_source

RUN = ["--from", "2024-03-01", "--to", "2024-03-15", "--as-of", "2024-03-15"]


def cli(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aftersales", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300, **kwargs)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rel") / "src"
    return make_source(folder, parts_lines=LINES, accounts=[dict()], labour_lines=[dict()], clockings=[dict()])


def notebooks_with(tmp_path: Path, report: str, code: str, last: bool = False) -> Path:
    """A copy of the report notebooks in which `report` runs `code` after its first cell (or, `last`,
    after every other cell)."""
    folder = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOK_DIR, folder)
    nb = nbformat.read(folder / f"{report}.ipynb", as_version=4)
    nb.cells.insert(len(nb.cells) if last else 2, nbformat.v4.new_code_cell(code))
    nbformat.write(nb, folder / f"{report}.ipynb")
    return folder


def test_a_failing_report_does_not_stop_the_others(source, tmp_path):
    """A notebook that raises is marked failed with its message; the other reports are written."""
    notebooks = notebooks_with(tmp_path, "labour", 'raise RuntimeError("labour exploded")')
    out = tmp_path / "out"
    done = cli("run", "--source", str(source), *RUN, "--reports", "parts,labour", "--out", str(out),
               env={"AFTERSALES_NOTEBOOKS": str(notebooks)})
    assert done.returncode == 1
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["reports"]["parts"]["status"] == "ok"
    assert manifest["reports"]["labour"]["status"] == "failed"
    assert "labour exploded" in manifest["reports"]["labour"]["error"]
    assert "labour exploded" in (out / "labour.html").read_text(encoding="utf-8")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "failed" in index and "labour exploded" in index
    assert (out / "tables" / "parts" / "activity.csv").exists()


def test_a_hanging_report_is_stopped_at_its_time_limit(source, tmp_path):
    """A report past the time limit in params fails with that reason; the run does not hang."""
    notebooks = notebooks_with(tmp_path, "parts", "import time; time.sleep(120)")
    params = tmp_path / "p.yaml"
    params.write_text("run:\n  timeout_seconds: 3\n", encoding="utf-8")
    out = tmp_path / "out"
    started = time.monotonic()
    done = cli("run", "--source", str(source), *RUN, "--reports", "parts", "--params", str(params),
               "--out", str(out), env={"AFTERSALES_NOTEBOOKS": str(notebooks)})
    assert time.monotonic() - started < 60
    assert done.returncode == 1
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["reports"]["parts"]["status"] == "failed"
    assert "time limit" in manifest["reports"]["parts"]["error"]


def test_killed_run_leaves_the_previous_pack_intact(source, tmp_path, request):
    """SIGKILL to a run's process group mid-way leaves yesterday's pack as it was."""
    out = tmp_path / "out"
    assert cli("run", "--source", str(source), *RUN, "--reports", "parts", "--out", str(out)).returncode == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    notebooks = notebooks_with(tmp_path, "parts", "import time; time.sleep(120)")
    # the runs' temporary folder, where their private kernel folders go: a short path of its own (the
    # report server's socket is made there, and a socket's path has at most 107 characters)
    temp = Path(tempfile.mkdtemp(prefix="aftersales-test-"))
    request.addfinalizer(lambda: shutil.rmtree(temp, ignore_errors=True))
    env = {**os.environ, "AFTERSALES_NOTEBOOKS": str(notebooks), "TMPDIR": str(temp)}
    proc = subprocess.Popen([sys.executable, "-m", "aftersales", "run", "--source", str(source), *RUN,
                             "--reports", "parts", "--out", str(out)],
                            env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.tmp-*/status/parts.log")) and time.monotonic() < deadline:
        time.sleep(0.2)  # the report's process has started (its log is open): the run is mid-way
    assert list(tmp_path.glob(".out.tmp-*/status/parts.log")), "the run had started its report"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    visible = [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert sorted(visible) == ["notebooks", "out"], "no half-written folder that looks complete"
    killed_homes = list(temp.glob(f"aftersales-kernel-{proc.pid}-*"))
    assert killed_homes, "a killed run cannot remove its own kernel folder"
    # the next run cleans what the killed one left: its half-written folder and its kernel folder
    next_run = subprocess.run([sys.executable, "-m", "aftersales", "run", "--source", str(source), *RUN,
                               "--reports", "parts", "--out", str(out)], env={**os.environ, "TMPDIR": str(temp)},
                              capture_output=True, text=True)
    assert next_run.returncode == 0, next_run.stderr
    assert not list(tmp_path.glob(".out.tmp-*"))
    assert not any(home.exists() for home in killed_homes)
    assert not list(temp.glob("aftersales-kernel-*"))  # and its own went when it ended


def test_two_runs_on_one_folder_never_interleave(source, tmp_path):
    """A second run aimed at a folder being written refuses with --no-wait, or waits by default."""
    out = tmp_path / "out"
    notebooks = notebooks_with(tmp_path, "parts", "import time; time.sleep(4)")
    env = {**os.environ, "AFTERSALES_NOTEBOOKS": str(notebooks)}
    args = [sys.executable, "-m", "aftersales", "run", "--source", str(source), *RUN, "--reports", "parts",
            "--out", str(out)]
    first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    refused = cli("run", "--source", str(source), *RUN, "--reports", "parts", "--out", str(out), "--no-wait",
                  env={"AFTERSALES_NOTEBOOKS": str(notebooks)})
    assert refused.returncode == 2
    assert "another run" in refused.stderr
    waiting = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert first.wait(timeout=120) == 0
    assert waiting.wait(timeout=120) == 0
    assert (out / "index.html").exists()


def test_empty_period_gives_empty_grids_not_errors(source, tmp_path):
    """A period without a single line still writes every report, with empty grids."""
    out = tmp_path / "out"
    done = cli("run", "--source", str(source), "--from", "2020-01-01", "--to", "2020-01-31",
               "--as-of", "2020-01-31", "--out", str(out))
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert all(r["status"] == "ok" for r in manifest["reports"].values())
    activity = (out / "tables" / "parts" / "activity.csv").read_text(encoding="utf-8").splitlines()
    assert len(activity) == 1


@pytest.fixture(scope="module")
def full_pack(source, tmp_path_factory):
    """One run of every report on the small source."""
    out = tmp_path_factory.mktemp("full") / "one"
    done = cli("run", "--source", str(source), *RUN, "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_same_inputs_give_the_same_pack(source, full_pack, tmp_path):
    """Two runs with the same source, parameters and as-of give identical CSV and HTML files."""
    one, two = full_pack, tmp_path / "two"
    assert cli("run", "--source", str(source), *RUN, "--out", str(two)).returncode == 0
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.suffix in (".csv", ".html"))
    assert len(files) > 10
    _, mismatch, errors = filecmp.cmpfiles(one, two, [str(f) for f in files], shallow=False)
    assert mismatch == [] and errors == []


def test_every_row_is_accounted_for(full_pack):
    """Each report's rows read equal rows used plus rows set aside, in the manifest."""
    manifest = json.loads((full_pack / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["rows"]) == set(REPORTS)
    for report, rows in manifest["rows"].items():
        assert rows["read"] == rows["used"] + rows["set_aside"], report
