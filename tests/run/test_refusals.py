"""A run never destroys a user's folder, refuses hostile settings clearly and survives a full disk
(issue "Reliability"): each case is made in the test and checked on disk afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aftersales.params import ParamsError, load
from aftersales.run import folder
from factory import make_source

RUN = ["--from", "2024-03-01", "--to", "2024-03-15", "--as-of", "2024-03-15", "--reports", "parts"]
LINE = dict(document="D1", doc_type="invoice", date_edit="2024-03-04", account="A1", quantity=2,
            retail_price=10, selling_price=8, discount=1, cost_price=5)


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aftersales", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ})


def tree(folder_: Path) -> dict[str, bytes]:
    """Every file below a folder with its bytes: what must stay untouched."""
    return {str(p.relative_to(folder_)): p.read_bytes() for p in sorted(folder_.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return make_source(tmp_path_factory.mktemp("refuse") / "dealer", parts_lines=[LINE], accounts=[dict()],
                       labour_lines=[dict()], clockings=[dict()])


@pytest.fixture(scope="module")
def pack(tmp_path_factory, source) -> Path:
    """A real pack, written once for the module."""
    out = tmp_path_factory.mktemp("packs") / "march"
    done = cli("run", "--source", str(source), *RUN, "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_out_at_the_source_folder_is_refused(source):
    """--out naming the dealer's data folder exits 2 and leaves every file of it as it was."""
    before = tree(source)
    done = cli("run", "--source", str(source), *RUN, "--out", str(source))
    assert done.returncode == 2
    assert "source" in done.stderr and str(source) in done.stderr
    assert tree(source) == before


def test_out_inside_the_source_folder_is_refused(source):
    """--out inside the source folder is refused: a pack never lands among the dealer's tables."""
    done = cli("run", "--source", str(source), *RUN, "--out", str(source / "packs" / "march"))
    assert done.returncode == 2 and "source" in done.stderr
    assert not (source / "packs").exists()


def test_a_folder_that_is_not_a_pack_is_never_replaced(source, tmp_path):
    """An existing folder holding other files (a thesis) is refused with exit 2, untouched."""
    theirs = tmp_path / "documents"
    theirs.mkdir()
    (theirs / "thesis.docx").write_bytes(b"years of work")
    done = cli("run", "--source", str(source), *RUN, "--out", str(theirs))
    assert done.returncode == 2
    assert str(theirs) in done.stderr and "not a pack" in done.stderr
    assert tree(theirs) == {"thesis.docx": b"years of work"}


def test_a_pack_is_replaced_and_nothing_is_left_beside_it(source, pack):
    """A second run over a pack replaces it in one step and leaves no hidden folder behind."""
    first = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))["created_utc"]
    done = cli("run", "--source", str(source), *RUN, "--out", str(pack))
    assert done.returncode == 0, done.stderr
    assert folder.is_pack(pack)
    assert json.loads((pack / "manifest.json").read_text(encoding="utf-8"))["created_utc"] >= first
    assert sorted(p.name for p in pack.parent.iterdir() if p.name.startswith(".")) == [f".{pack.name}.lock"]


@pytest.mark.parametrize("reports", ["", ",", " , "])
def test_an_empty_report_list_is_refused(source, pack, reports):
    """--reports '' (an unset variable in a cron line) exits 2 and keeps the previous full pack."""
    before = tree(pack)
    done = cli("run", "--source", str(source), *RUN[:-2], "--reports", reports, "--out", str(pack))
    assert done.returncode == 2 and "--reports" in done.stderr
    assert tree(pack) == before


@pytest.mark.parametrize("jobs", ["0", "-1"])
def test_jobs_below_one_are_refused(source, tmp_path, jobs):
    """--jobs 0 or -1 exits 2 at once instead of hanging with the lock held."""
    done = cli("run", "--source", str(source), *RUN, "--jobs", jobs, "--out", str(tmp_path / "o"), timeout=60)
    assert done.returncode == 2 and "--jobs" in done.stderr


def test_a_period_after_as_of_is_refused(source, tmp_path):
    """A period wholly after --as-of would be all empty: exit 2, saying why."""
    done = cli("run", "--source", str(source), "--from", "2024-04-01", "--to", "2024-04-30", "--as-of",
               "2024-03-15", "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "as-of" in done.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("codes, words", [
    ([dict(kind="dept")], ["codes.kind", "first offending rows 1", "'dept'"]),
    ([dict(), dict(description="Counter")], ["codes.kind+code", "duplicated key", "rows 1, 2"]),
])
def test_a_bad_codes_table_is_refused_whichever_reports_run(tmp_path, codes, words):
    """Every page shows the descriptions of `codes` beside its codes, so a run of the Parts report alone still
    checks that table: an unknown kind or a code described twice exits 2 naming table, column and rows, and
    writes no pack (a row of an unknown kind would otherwise describe nothing, unseen)."""
    source = make_source(tmp_path / "dealer", parts_lines=[LINE], accounts=[dict()], labour_lines=[dict()],
                         clockings=[dict()], codes=codes)
    done = cli("run", "--source", str(source), *RUN, "--out", str(tmp_path / "o"))
    assert done.returncode == 2, done.stderr
    assert all(w in done.stderr for w in words), done.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("value, words", [("2026-02-30", "not a real date"), ("99999-01-01", "YYYY-MM-DD"),
                                          ("2300-01-01", "1900")])
def test_bad_dates_name_the_option_typed(source, tmp_path, value, words):
    """Errors name the option the user typed (--from) and say what is wrong with the date."""
    done = cli("run", "--source", str(source), "--from", value, "--to", "2024-03-15", "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "--from" in done.stderr and words in done.stderr


def test_a_crash_between_the_renames_is_mended_by_the_next_run(pack, tmp_path):
    """A previous pack parked by a run that died mid-swap is put back (or removed once replaced)."""
    out = tmp_path / "p"
    parked = tmp_path / f".p.old-{2**22 + 12345}"  # no such process
    parked.mkdir()
    (parked / "manifest.json").write_bytes((pack / "manifest.json").read_bytes())
    said = folder.recover(out)
    assert out.is_dir() and folder.is_pack(out) and not parked.exists()
    assert "restored" in said[0]
    parked.mkdir()
    (parked / "manifest.json").write_bytes((pack / "manifest.json").read_bytes())
    folder.recover(out)
    assert not parked.exists() and folder.is_pack(out)


def test_the_swap_never_leaves_the_folder_empty(tmp_path):
    """Swapping a new pack over an old one leaves the new one in place and nothing else."""
    out, new = tmp_path / "out", tmp_path / ".out.tmp-1"
    out.mkdir()
    (out / "index.html").write_text("old")
    new.mkdir()
    (new / "index.html").write_text("new")
    folder.swap(new, out)
    assert (out / "index.html").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.parametrize("name", ["o'brien", "x' AS s1; COPY (SELECT 42) TO 'PWNED.csv'; ATTACH 'y",
                                  "back\\slash;semi"])
def test_quotes_and_semicolons_in_paths_stay_paths(source, tmp_path, name):
    """An --out path with an apostrophe, a semicolon or a backslash is a path, never SQL."""
    out = tmp_path / name / "pack"
    (tmp_path / name).mkdir()
    done = cli("run", "--source", str(source), *RUN, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert folder.is_pack(out)
    assert not list(Path.cwd().glob("PWNED.csv")) and not list(tmp_path.rglob("PWNED.csv"))


def _mount(where: Path, options: str) -> None:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {done.stderr.decode().strip()}")


def test_a_read_only_parent_is_refused_before_any_work(source, tmp_path):
    """An --out whose folder cannot be written exits 2 saying so, without a traceback."""
    ro = tmp_path / "ro"
    _mount(ro, "size=1m,ro")
    try:
        done = cli("run", "--source", str(source), *RUN, "--out", str(ro / "pack"))
    finally:
        subprocess.run(["umount", str(ro)])
    assert done.returncode == 2 and "cannot be written" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_full_disk_keeps_the_previous_pack_and_leaves_nothing_behind(source, pack, tmp_path):
    """On a disk too small for the pack the run says the disk is full and where, keeps the previous
    pack byte for byte and leaves no hidden folder or engine file."""
    small = tmp_path / "small"
    _mount(small, "size=600k")
    try:
        out = small / "pack"
        (out).mkdir()
        for item in pack.iterdir():  # the previous pack, a small one, fits
            if item.is_file() and item.stat().st_size < 20_000:
                (out / item.name).write_bytes(item.read_bytes())
        before = tree(out)
        done = cli("run", "--source", str(source), "--from", "2024-03-01", "--to", "2024-03-15", "--as-of",
                   "2024-03-15", "--out", str(out))
        assert done.returncode == 2, done.stderr
        assert "full" in done.stderr and str(small) in done.stderr and "Traceback" not in done.stderr
        assert tree(out) == before
        assert sorted(p.name for p in small.iterdir()) == [".pack.lock", "pack"]
    finally:
        subprocess.run(["umount", str(small)])


@pytest.mark.parametrize("text, words", [
    (b"dealer_name: \xff\xfe bad\n", "not UTF-8"),
    (b"a: &a [x, x]\nb: &b [*a, *a]\n", "aliases"),
    (b"alerts:\n  gp_drop: 1\nalerts:\n  gp_drop: 2\n", "lines 1 and 3"),
    (b"report:\n  page_rows: -1\n", "report.page_rows"),
    (b"run:\n  timeout_seconds: 0\n", "run.timeout_seconds"),
    (b"alerts:\n  gp_drop: .nan\n", "finite"),
    (b"alerts:\n  large_document: .inf\n", "finite"),
    (b"report:\n  page_rows: 2.5\n", "whole number"),
])
def test_hostile_settings_are_refused_naming_the_key(tmp_path, text, words):
    """Settings that are not UTF-8, expand aliases, repeat a key or leave a range are refused clearly."""
    path = tmp_path / "p.yaml"
    path.write_bytes(text)
    with pytest.raises(ParamsError, match=words) as caught:
        load(path)
    assert len(str(caught.value)) < 400


def test_a_billion_laughs_file_is_refused_at_once(tmp_path):
    """Nine levels of aliases are refused before they expand, with a short message."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = tmp_path / "lol.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ParamsError) as caught:
        load(path)
    assert "aliases" in str(caught.value) and len(str(caught.value)) < 400


def test_a_params_folder_is_refused(tmp_path):
    """--params naming a folder is an error, not a traceback."""
    with pytest.raises(ParamsError, match="folder"):
        load(tmp_path)
