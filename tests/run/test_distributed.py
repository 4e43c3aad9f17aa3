"""Runs on a Dask cluster (SPEC §6.6 `--executor dask`): a real scheduler and two worker processes on
loopback, started here; the pack is the local executor's byte for byte (times aside), even when a
worker is killed in the middle of a report."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import distributed
import nbformat
import pytest

from aftersales.cli import main
from aftersales.config import NOTEBOOK_DIR
from aftersales.run.distributed import write_files
from aftersales.run.local import InOrder
from factory import make_source

RUN = ["--from", "2024-03-01", "--to", "2024-03-31", "--as-of", "2024-03-31"]
#: The workshop report sleeps this long in a cell of its own, long enough to kill its worker meanwhile.
SLEEP = 5
#: Keys of JSON files that measure a run rather than describe its pack: times, CPU, memory.
MEASURES = {"created_utc", "seconds", "cpu_seconds", "execute_seconds", "kernel_peak_mb", "start_time", "end_time",
            "duration", "execution"}

PARTS = [
    # A1: March Net 500 against 1000 a year before (sales −50 %): an alert, an owner email, an outreach draft
    dict(document="D1", account="A1", date_edit="2024-03-05", quantity=2, selling_price=250, retail_price=300,
         cost_price=150),
    dict(document="P1", account="A1", date_edit="2023-03-06", quantity=1, selling_price=1000, retail_price=1000,
         cost_price=600),
    # A2: a document of Net 6000 (a large-document alert) and a credit
    dict(document="D2", account="A2", date_edit="2024-03-08", quantity=1, selling_price=6000, retail_price=6000,
         cost_price=4000),
    dict(document="C1", doc_type="credit", account="A2", date_edit="2024-03-09", quantity=-1, selling_price=100,
         retail_price=100, cost_price=60),
]
LABOUR = [dict(document="L1", account="A1", date_edit="2024-03-06", allowed_time=2, labour_rate=90, cost_per_hour=40)]
ACCOUNTS = [dict(account="A1", name="Alpha <Garage>", owner="R1", email="buyer@alpha.example"),
            dict(account="A2", name="Beta", owner="R1")]
REPS = [dict(rep="R1", name="Rita Rep", email="rita@example.com")]


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aftersales", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


def notebooks_with(folder: Path, changes: dict[str, str]) -> Path:
    """A copy of the report notebooks in which each report of `changes` runs its code after its first cell."""
    shutil.copytree(NOTEBOOK_DIR, folder)
    for report, code in changes.items():
        nb = nbformat.read(folder / f"{report}.ipynb", as_version=4)
        nb.cells.insert(2, nbformat.v4.new_code_cell(code))
        nbformat.write(nb, folder / f"{report}.ipynb")
    return folder


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two single-threaded worker processes, on loopback only."""
    scratch = tmp_path_factory.mktemp("dask-scratch")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0", local_directory=str(scratch),
                                  silence_logs=logging.ERROR) as cluster, distributed.Client(cluster) as client:
        yield cluster, client


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """The source, the settings file, the notebooks (workshop marks a file, then sleeps) and the pack folder."""
    base = tmp_path_factory.mktemp("dask")
    source = make_source(base / "src", parts_lines=PARTS, labour_lines=LABOUR, clockings=[dict()],
                         accounts=ACCOUNTS, sales_reps=REPS)
    rules = base / "rules.yaml"  # every alert counts: the emails are written and link to the pack
    rules.write_text("alerts:\n  min_prior_sales: 0\n  min_sales: 0\n", encoding="utf-8")
    marker = base / "workshop-started"
    sleep = f"import time\nwith open({str(marker)!r}, 'a') as _m:\n    _m.write('x')\ntime.sleep({SLEEP})"
    notebooks = notebooks_with(base / "notebooks", {"workshop": sleep})
    args = ["run", "--source", str(source), *RUN, "--params", str(rules), "--out", str(base / "out")]
    return {"base": base, "args": args, "env": {"AFTERSALES_NOTEBOOKS": str(notebooks)}, "marker": marker}


def _run(setup, *extra: str, keep_as: str) -> Path:
    """Run into the pack folder (the same path for every run: the packs name it) and move the pack aside."""
    done = cli(*setup["args"], *extra, env=setup["env"])
    assert done.returncode == 0, done.stderr[-3000:]
    return (setup["base"] / "out").rename(setup["base"] / keep_as)


@pytest.fixture(scope="module")
def local_pack(setup):
    return _run(setup, keep_as="local")


def _without_measures(value):
    if isinstance(value, dict):
        return {k: _without_measures(v) for k, v in value.items() if k not in MEASURES}
    if isinstance(value, list):
        return [_without_measures(v) for v in value]
    return value


def _comparable(path: Path):
    """A file's content with what differs between any two runs set aside: JSON measures of time, CPU
    and memory; the time each spreadsheet part was zipped; an email's Date and its Message-ID (made of
    the time and a random number)."""
    data = path.read_bytes()
    if path.suffix in (".json", ".ipynb"):
        return _without_measures(json.loads(data))
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return [(info.filename, book.read(info)) for info in book.infolist()]
    if path.suffix == ".eml":
        return [line for line in data.split(b"\r\n") if not line.startswith((b"Date:", b"Message-ID:"))]
    return data


def assert_same_files(one: Path, two: Path) -> list[Path]:
    """The two trees hold the same files with the same content, what measures a run aside; their paths."""
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    differ = [str(f) for f in files if _comparable(one / f) != _comparable(two / f)]
    assert differ == []
    return files


def assert_same_pack(one: Path, two: Path) -> None:
    files = assert_same_files(one, two)
    assert len(files) > 30 and Path("emails/R1.eml") in files and Path("notebooks/workshop.ipynb") in files


def test_a_dask_run_writes_the_same_pack_as_a_local_run(cluster, setup, local_pack):
    """With --executor dask every file of the pack is the local executor's, times aside, and names no worker's folder."""
    scheduler = cluster[0].scheduler_address
    dask_pack = _run(setup, "--executor", "dask", "--scheduler", scheduler, keep_as="dask")
    assert_same_pack(local_pack, dask_pack)
    manifest = json.loads((dask_pack / "manifest.json").read_text(encoding="utf-8"))
    assert {r: s["status"] for r, s in manifest["reports"].items()} == dict.fromkeys(manifest["reports"], "ok")
    notebook = nbformat.read(dask_pack / "notebooks" / "workshop.ipynb", as_version=4)
    shown = notebook.metadata.papermill.parameters
    assert shown["out_dir"] == str(setup["base"] / "out") and shown["source"] == setup["args"][2]
    for path in dask_pack.rglob("*"):
        if path.is_file() and path.suffix != ".xlsx":
            assert b"aftersales-task-" not in path.read_bytes() and b"dask-scratch" not in path.read_bytes(), path


def test_a_groups_packs_on_dask_are_the_local_ones(cluster, tmp_path):
    """`--by-branch --executor dask`: every report of every scope is a task; the group's pack and each
    branch's ("01" and "1" two branches) are the local executor's, file for file, times aside. The source is
    CSV files, which a local run reads from its snapshot and Dask workers from the files: the code descriptions
    (`codes`) show in both."""
    parts = [dict(row, branch=branch) for row, branch in zip(PARTS, ("01", "01", "1", "1"))]
    labour = [dict(LABOUR[0], branch="1")]
    source = make_source(tmp_path / "src", parts_lines=parts, labour_lines=labour, clockings=[dict(branch="01")],
                         accounts=ACCOUNTS, sales_reps=REPS,
                         branches=[dict(branch="01", name="<b>North</b>"), dict(branch="1", name="One")],
                         codes=[dict(kind="department", code="P", description="Parts <counter>")])
    args = ["run", "--source", str(source), *RUN, "--reports", "parts,labour", "--by-branch"]
    packs = {}
    for name, extra in (("local", []), ("dask", ["--executor", "dask", "--scheduler", cluster[0].scheduler_address])):
        done = cli(*args, "--out", str(tmp_path / "out"), *extra)
        assert done.returncode == 0, done.stderr[-3000:]
        packs[name] = (tmp_path / "out").rename(tmp_path / name)
    files = assert_same_files(packs["local"], packs["dask"])
    for pack in (Path(), Path("branches/01"), Path("branches/1")):
        assert {pack / "index.html", pack / "parts.html", pack / "tables/parts/activity.csv"} <= set(files)
    for name in packs:
        assert "P · Parts &lt;counter&gt;" in (packs[name] / "branches" / "1" / "parts.html").read_text(encoding="utf-8")
    # branch "1" holds D2 and C1 (8 and 9 March), not "01"'s D1 (5 March)
    days = (packs["dask"] / "branches" / "1" / "tables" / "parts" / "activity.csv").read_text(encoding="utf-8")
    assert [line.split(",")[0] for line in days.splitlines()[1:]] == ["2024-03-08", "2024-03-09"]


def test_a_worker_killed_mid_report_leaves_a_complete_and_correct_pack(cluster, setup, local_pack):
    """A worker killed while it runs a report: Dask runs the task again elsewhere and the pack is whole and right."""
    local, client = cluster
    marker = setup["marker"]
    marker.unlink(missing_ok=True)
    run = subprocess.Popen([sys.executable, "-m", "aftersales", *setup["args"], "--executor", "dask",
                            "--scheduler", local.scheduler_address], env={**os.environ, **setup["env"]},
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():  # the workshop report is in its sleeping cell on some worker
            assert run.poll() is None and time.monotonic() < deadline, "the workshop report never started"
            time.sleep(0.05)
        running = [w for w, keys in client.processing().items()
                   if any(str(k).startswith("aftersales-workshop-") for k in keys)]
        assert len(running) == 1
        os.kill(client.run(os.getpid, workers=running)[running[0]], signal.SIGKILL)
        _, stderr = run.communicate(timeout=300)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, stderr[-3000:]
    assert marker.read_text() == "xx"  # the workshop task ran twice: killed, then run again
    assert_same_pack(local_pack, (setup["base"] / "out").rename(setup["base"] / "killed"))


def test_a_report_that_fails_or_hangs_on_a_worker_is_a_failed_report(cluster, tmp_path):
    """On Dask as locally: a raising report is failed with its message, a hanging one at its time limit; the rest is written."""
    source = make_source(tmp_path / "src", parts_lines=PARTS, accounts=ACCOUNTS)
    notebooks = notebooks_with(tmp_path / "notebooks", {"labour": 'raise RuntimeError("labour exploded")',
                                                        "parts": "import time; time.sleep(120)"})
    params = tmp_path / "p.yaml"
    params.write_text("run:\n  timeout_seconds: 3\n", encoding="utf-8")
    out = tmp_path / "out"
    started = time.monotonic()
    done = cli("run", "--source", str(source), *RUN, "--reports", "parts,labour,sales", "--params", str(params),
               "--out", str(out), "--executor", "dask", "--scheduler", cluster[0].scheduler_address,
               env={"AFTERSALES_NOTEBOOKS": str(notebooks)})
    assert time.monotonic() - started < 120
    assert done.returncode == 1, done.stderr[-3000:]
    reports = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]
    assert reports["labour"]["status"] == "failed" and "labour exploded" in reports["labour"]["error"]
    assert reports["parts"]["status"] == "failed" and "time limit" in reports["parts"]["error"]
    assert reports["sales"]["status"] == "ok" and (out / "tables" / "sales" / "reps.csv").exists()
    assert "labour exploded" in (out / "labour.html").read_text(encoding="utf-8")


def test_the_dask_executor_needs_a_scheduler(tmp_path, capsys):
    """--executor dask without --scheduler, or --scheduler without it, exits 2 saying what is missing."""
    out = tmp_path / "out"
    assert main(["run", *RUN, "--out", str(out), "--executor", "dask"]) == 2
    assert "--scheduler tcp://HOST:PORT" in capsys.readouterr().err
    assert main(["run", *RUN, "--out", str(out), "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "--executor dask" in capsys.readouterr().err
    assert not out.exists()


def test_an_unreachable_scheduler_exits_2_naming_it(tmp_path, capsys):
    """A scheduler nobody listens at stops the run before any work, naming its address."""
    with socket.socket() as probe:  # a loopback port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    source = make_source(tmp_path / "src", parts_lines=PARTS)
    out = tmp_path / "out"
    assert main(["run", "--source", str(source), *RUN, "--out", str(out), "--executor", "dask",
                 "--scheduler", address]) == 2
    err = capsys.readouterr().err
    assert f"the Dask scheduler at {address} cannot be reached" in err
    assert not out.exists()


def test_a_task_never_writes_outside_the_run_folder(tmp_path):
    """Files a worker returns are written under the run folder; a path leaving it is refused, nothing written."""
    write_files(tmp_path / "run", {"tables/parts/a.csv": b"x\n", "parts.html": b"<p>"})
    assert (tmp_path / "run" / "tables" / "parts" / "a.csv").read_bytes() == b"x\n"
    for bad in ("../evil.html", "/tmp/evil.html", "tables/../../evil.html"):
        with pytest.raises(ValueError, match="outside its run folder"):
            write_files(tmp_path / "run", {bad: b"x"})
    assert not (tmp_path / "evil.html").exists()


def test_reports_are_passed_on_in_start_order_whatever_order_they_end_in():
    """The spreadsheet is given the reports in one order (its bytes depend on it), however the executor finishes them."""
    passed: list[str] = []
    ordered = InOrder(["accounts", "sales", "parts"], passed.append)
    ordered("parts")
    ordered("sales")
    assert passed == []  # accounts has not ended: nothing is passed on yet
    ordered("accounts")
    assert passed == ["accounts", "sales", "parts"]
