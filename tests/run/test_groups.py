"""Dealer groups end to end (SPEC §6.2, §6.6): `aftersales run --by-branch` writes the group's pack and one
whole pack per branch under `branches/<branch>/` in one atomic swap, `--branch CODE` one branch's pack, and
the group's landing page shows the league of its branches.

The source is made here: branch codes that look like numbers ("01" and "1" are two branches), a code on the
lines missing from `branches` ("X9"), and a branch name with markup. Hand-worked figures (March 2024; a
parts line's Net = quantity × selling price − discount, Profit = Net − quantity × cost, Gross = quantity ×
retail; a labour line's Net = allowed × rate, Profit = Net − taken × cost per hour, 60-minute units):

  parts   "01": D1 2 × 100 (cost 60) → Net 200, Profit 80; C1 credit −1 × 100 (cost 60) → Net −100, Profit −40
                 → Net 100, Profit 40, Gross 100
          "1":  D2 1 × 300 (cost 100) → Net 300, Profit 200, Gross 300; a year before: 1 × 150 → prior 150
          "X9": D3 3 × 10 (cost 5) → Net 30, Profit 15, Gross 30
  labour  "01": L1 2 h × 100 (cost 40/h, technician T1) → Net 200, Profit 120
          "1":  L2 1 h × 100 (technician T2) → Net 100, Profit 60
  clocked "01": T1 08:00–12:00 → 4 h attended; "1": T2 08:00–10:00 → 2 h
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aftersales.cli import main
from factory import make_source

RUN = ["--from", "2024-03-01", "--to", "2024-03-31", "--as-of", "2024-03-31"]
REPORTS = "parts,labour,accounts"
MARKUP = '<b>&"'

PARTS = [
    dict(branch="01", document="D1", date_edit="2024-03-05", quantity=2, selling_price=100, retail_price=100,
         cost_price=60),
    dict(branch="01", document="C1", doc_type="credit", date_edit="2024-03-06", quantity=-1, selling_price=100,
         retail_price=100, cost_price=60),
    dict(branch="1", document="D2", date_edit="2024-03-07", quantity=1, selling_price=300, retail_price=300,
         cost_price=100),
    dict(branch="1", document="P1", date_edit="2023-03-07", quantity=1, selling_price=150, retail_price=150,
         cost_price=100),
    dict(branch="X9", document="D3", date_edit="2024-03-08", quantity=3, selling_price=10, retail_price=10,
         cost_price=5),
]
LABOUR = [
    dict(branch="01", wip_no="W1", document="L1", date_edit="2024-03-05", allowed_time=2, time_taken=2,
         labour_rate=100, cost_per_hour=40, technician="T1"),
    dict(branch="1", wip_no="W2", document="L2", date_edit="2024-03-07", allowed_time=1, time_taken=1,
         labour_rate=100, cost_per_hour=40, technician="T2"),
]
CLOCKINGS = [
    dict(branch="01", technician="T1", clock_in="2024-03-05T08:00", clock_out="2024-03-05T12:00", wip_no="W1"),
    dict(branch="1", technician="T2", technician_name="Tech Two", clock_in="2024-03-07T08:00",
         clock_out="2024-03-07T10:00", wip_no="W2"),
]
# "0042" has no line at all: it gets a pack, linked from the group's page, but no row in the league
BRANCHES = [dict(branch="01", name=MARKUP, region="North"), dict(branch="1", name="One &\nCo", region=""),
            dict(branch="0042", name="Quiet <i>", region="South")]


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aftersales", *args], capture_output=True, text=True,
                          timeout=600, **kwargs)


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("group") / "src"
    return make_source(folder, parts_lines=PARTS, labour_lines=LABOUR, clockings=CLOCKINGS, branches=BRANCHES,
                       accounts=[dict()], sales_reps=[dict()])


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("settings") / "group.yaml"
    path.write_text("dealer_name: Test Group\nalerts:\n  large_document: 250\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tree(source, settings, tmp_path_factory) -> Path:
    """One `--by-branch` run of Parts, Labour and Accounts."""
    out = tmp_path_factory.mktemp("tree") / "out"
    status = main(["run", "--source", str(source), *RUN, "--reports", REPORTS, "--params", str(settings),
                   "--out", str(out), "--by-branch", "--jobs", "2"])
    assert status == 0
    return out


def test_by_branch_writes_the_group_pack_and_a_whole_pack_per_branch(tree):
    """`--by-branch` leaves the group's pack with every branch's whole pack under branches/<code>/, and no sales page in a branch."""
    assert sorted(p.name for p in (tree / "branches").iterdir()) == ["0042", "01", "1", "X9"]
    for folder in (tree, *(tree / "branches").iterdir()):
        for name in ("index.html", "manifest.json", "alerts.csv", "aftersales_2024-03-01_2024-03-31.xlsx",
                     "parts.html", "labour.html", "accounts.html", "tables/pacing/pacing.csv",
                     "tables/parts/activity.csv", "notebooks/parts.ipynb"):
            assert (folder / name).is_file(), f"{folder.name}: {name} missing"
    manifest = json.loads((tree / "branches" / "01" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scope"]["branch"] == "01" and manifest["scope"]["folder_named"] == "code"
    assert manifest["parameters"]["branch"] == "01"
    assert manifest["parameters"]["out_dir"] == str(tree / "branches" / "01")
    assert (tree / "tables" / "group" / "branches.csv").is_file()
    assert not (tree / "branches" / "01" / "tables" / "group").exists(), "the Branches grid is the group's alone"
    assert not list(tree.parent.glob(".out.tmp-*")), "no hidden run folder left"


def test_branch_packs_split_the_groups_parts_and_labour_figures(tree):
    """Each branch pack's parts and labour CSVs hold only that branch's lines, and the branches add up to the group."""
    def net(folder: Path, table: str) -> float:
        return sum(float(r["net"]) for r in read_csv(folder / "tables" / table))

    branches = tree / "branches"
    # parts Net: 01 = 200 − 100 = 100, 1 = 300, X9 = 30; the group 430
    assert [net(branches / b, "parts/activity.csv") for b in ("01", "1", "X9")] == pytest.approx([100, 300, 30])
    assert net(tree, "parts/activity.csv") == pytest.approx(430)
    # the credit C1 is in branch 01 only, with its sign: its day's Net −100, Profit −40
    day = {r["date"]: r for r in read_csv(branches / "01" / "tables" / "parts" / "activity.csv")}
    assert sorted(day) == ["2024-03-05", "2024-03-06"]
    assert float(day["2024-03-06"]["net"]) == pytest.approx(-100) and float(day["2024-03-06"]["profit"]) == -40
    # labour Net: 01 = 2 h × 100 = 200, Profit 200 − 2 × 40 = 120; 1 = 100, Profit 60; X9 none; the group 300
    assert [net(branches / b, "labour/departments.csv") for b in ("01", "1", "X9")] == pytest.approx([200, 100, 0])
    labour = {b: read_csv(branches / b / "tables" / "labour" / "departments.csv") for b in ("01", "1")}
    assert [float(labour[b][0]["profit"]) for b in ("01", "1")] == pytest.approx([120, 60])
    assert net(tree, "labour/departments.csv") == pytest.approx(300)


def test_the_groups_branches_csv_is_the_librarys_and_its_totals_the_sums_of_branches(tree, source):
    """tables/group/branches.csv holds the hand-worked figures of every branch, as reports.group.branches gives them."""
    from aftersales.reports.periods import Period
    from aftersales.run.group_step import branches_grid
    from aftersales.source.reader import Source

    rows = {r["branch"]: r for r in read_csv(tree / "tables" / "group" / "branches.csv")}
    assert list(rows) == ["01", "1", "X9"]
    # 01: parts 100 / 40 (GP 40 / 100 = 40 %), labour 200 / 120 (60 %), sales 300, no prior: growth empty,
    #     hours sold 2 of 4 attended: Pro 50 %, rank 2
    # 1:  parts 300 / 200 (66.67 %), labour 100 / 60 (60 %), sales 400, prior 150: growth 250 / 150 = 166.67 %,
    #     hours 1 of 2: 50 %, rank 1
    # X9: parts 30 / 15 (50 %), no labour: GP empty, sales 30, no clocking: Pro empty, rank 3, no name (not in branches)
    expected = {
        "01": dict(name=MARKUP, region="North", parts_net=100, parts_profit=40, parts_gp_pct=40, labour_net=200,
                   labour_profit=120, labour_gp_pct=60, sales=300, sales_prior=0, growth_pct="", hours_sold=2,
                   attended=4, pro_pct=50, overheads="", absorption_pct="", rank=2),
        "1": dict(name="One &\nCo", region="", parts_net=300, parts_profit=200, parts_gp_pct=200 / 3, labour_net=100,
                  labour_profit=60, labour_gp_pct=60, sales=400, sales_prior=150, growth_pct=250 / 1.5, hours_sold=1,
                  attended=2, pro_pct=50, overheads="", absorption_pct="", rank=1),
        "X9": dict(name="", region="", parts_net=30, parts_profit=15, parts_gp_pct=50, labour_net=0, labour_profit=0,
                   labour_gp_pct="", sales=30, sales_prior=0, growth_pct="", hours_sold=0, attended=0, pro_pct="",
                   overheads="", absorption_pct="", rank=3),
    }
    for code, figures in expected.items():
        for column, value in figures.items():
            got = rows[code][column]
            if isinstance(value, str):
                assert got == value, (code, column, got)
            else:
                assert float(got) == pytest.approx(value, abs=1e-6), (code, column, got)
    period = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31), dt.date(2024, 3, 31))
    with Source.open(str(source)) as opened:
        grid = branches_grid(opened, period)
    library = grid.rows.set_index("branch")
    for code, row in rows.items():
        for column in ("parts_net", "labour_profit", "sales", "growth_pct", "pro_pct", "rank"):
            want = library.at[code, column]
            assert (row[column] == "" and want != want) or float(row[column]) == pytest.approx(float(want))
    # the totals row is the group's own: parts 430 / 255, labour 300 / 180, sales 730, hours 3 of 6 attended
    total = grid.total.iloc[0]
    assert [total[c] for c in ("parts_net", "parts_profit", "labour_net", "labour_profit", "sales", "hours_sold",
                               "attended")] == pytest.approx([430, 255, 300, 180, 730, 3, 6])
    for column in ("parts_net", "parts_profit", "labour_net", "labour_profit", "sales", "sales_prior", "hours_sold"):
        assert total[column] == pytest.approx(sum(float(r[column]) for r in rows.values()))


def test_the_group_landing_page_shows_the_league_with_escaped_names_and_links(tree):
    """The group's landing page lists the branches by rank, names escaped, each linked to its pack, the alerts and the missing code."""
    page = (tree / "index.html").read_text(encoding="utf-8")
    assert MARKUP not in page and "&lt;b&gt;&amp;&#34;" in page
    league = page[page.index('id="branches"'):page.index("</section>", page.index('id="branches"'))]
    assert page.index('id="pacing"') < page.index('id="branches"'), "pacing stays the first screen"
    order = [league.index(f'data-branch="{code}"') for code in ("1", "01", "X9")]
    assert order == sorted(order), "ranked by sales: 1 (400), 01 (300), X9 (30)"
    for code in ("01", "1", "X9"):
        assert f'href="branches/{code}/index.html"' in league
    # a branch with no line in the period or a year before: not ranked, but its pack is linked
    assert 'data-branch="0042"' not in league
    unranked = league[league.index("Not ranked"):league.index("Branches with the most alerts")]
    assert '<a href="branches/0042/index.html">Quiet &lt;i&gt;</a>' in unranked and "X9" not in unranked
    # the group row: sales 730, parts net 430
    foot = league[league.index("<tfoot>"):]
    assert ">730<" in foot and ">430<" in foot
    # the large-document alert (D2, Net 300 > 250) is branch 1's alone
    most = league[league.index("Branches with the most alerts"):]
    assert "One &amp;\nCo" in most and "1 alert" in most and "X9" not in most
    quality = page[page.index('id="data-quality"'):]
    assert "<code>X9</code>: 1 rows" in quality
    branch_page = (tree / "branches" / "01" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../index.html"' in branch_page and 'id="branches"' not in branch_page
    assert "branch 01 &lt;b&gt;&amp;&#34;" in branch_page


def test_every_report_page_of_a_branch_names_the_branch(tree):
    """Under each page's title: the branch's code and its name (escaped, on one line) from `branches`, the code
    alone for a branch missing from it, nothing for the group."""
    period = "01 Mar 2024 to 31 Mar 2024 · as of 31 Mar 2024"
    named = {"01": f"branch 01 {MARKUP}", "1": "branch 1 One & Co", "X9": "branch X9", "0042": "branch 0042 Quiet <i>"}
    for code, words in named.items():
        for report in ("parts", "labour", "accounts"):
            page = (tree / "branches" / code / f"{report}.html").read_text(encoding="utf-8")
            assert f'<div class="as-sub">Test Group · {html.escape(f"{period} · {words}")}</div>' in page, (code, report)
    assert f'<div class="as-sub">Test Group · {html.escape(period)}</div>' in (tree / "parts.html").read_text(encoding="utf-8")
    # the same words head the plain text of the branch's emails, on one line although the name has a line break
    import email
    from email import policy

    message = email.message_from_bytes((tree / "branches" / "1" / "emails" / "R1.eml").read_bytes(), policy=policy.default)
    assert f"Period: {period} · branch 1 One & Co\n" in message.get_body(("plain",)).get_content()
    # and its subject names the branch, so that a rep tells it from the group's email (which names none)
    assert message["Subject"].endswith("01 Mar 2024 to 31 Mar 2024 · branch 1 One & Co"), message["Subject"]
    group = email.message_from_bytes((tree / "emails" / "R1.eml").read_bytes(), policy=policy.default)
    assert group["Subject"].endswith("alerts, 01 Mar 2024 to 31 Mar 2024") or group["Subject"].endswith(
        "alert, 01 Mar 2024 to 31 Mar 2024"), group["Subject"]


def test_a_workbook_of_the_group_opens_with_the_branches_sheet(tree):
    """The group's spreadsheet has a Branches sheet beside Pacing; a branch's has none."""
    import zipfile

    def sheets(folder: Path) -> str:
        with zipfile.ZipFile(folder / "aftersales_2024-03-01_2024-03-31.xlsx") as book:
            return book.read("xl/workbook.xml").decode("utf-8")

    assert 'name="Branches"' in sheets(tree) and 'name="Pacing"' in sheets(tree)
    assert 'name="Branches"' not in sheets(tree / "branches" / "01")


def test_a_group_in_a_duckdb_file_gives_the_same_packs(source, settings, tree, open_source, tmp_path):
    """The same group held in a DuckDB file: `--by-branch` writes every pack's CSV tables exactly as from
    the folder (the branch filter works the same on the file's tables)."""
    import duckdb

    db, parquet = tmp_path / "group.duckdb", tmp_path / "parquet"
    parquet.mkdir()
    src = open_source(source)
    with duckdb.connect(str(db)) as out:
        for name in src.tables:
            src.table(name).write_parquet(str(parquet / f"{name}.parquet"))
            out.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{parquet / (name + '.parquet')}')")
    again = tmp_path / "out"
    status = main(["run", "--source", str(db), *RUN, "--reports", REPORTS, "--params", str(settings),
                   "--out", str(again), "--by-branch", "--jobs", "2"])
    assert status == 0
    tables = sorted(p.relative_to(tree) for p in tree.rglob("tables/**/*.csv"))
    assert len(tables) > 20 and any(p.parts[0] == "branches" for p in tables)
    assert tables == sorted(p.relative_to(again) for p in again.rglob("tables/**/*.csv"))
    for path in tables:
        assert (again / path).read_text(encoding="utf-8") == (tree / path).read_text(encoding="utf-8"), path


def test_branch_01_makes_one_pack_with_only_its_rows(source, tmp_path):
    """`--branch 01` writes one pack, the same shape as any pack, whose figures are branch 01's alone (not branch 1's)."""
    out = tmp_path / "one"
    assert main(["run", "--source", str(source), *RUN, "--reports", "parts,sales", "--out", str(out),
                 "--branch", "01"]) == 0
    days = read_csv(out / "tables" / "parts" / "activity.csv")
    # D1 2 × 100 on the 5th and the credit C1 on the 6th: Net 200 and −100
    assert [(r["date"], float(r["net"])) for r in days] == [("2024-03-05", 200), ("2024-03-06", -100)]
    assert not (out / "branches").exists() and not (out / "tables" / "group").exists()
    assert not (out / "sales.html").exists(), "the Sales performance report is made for the group only"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scope"]["branch"] == "01" and list(manifest["reports"]) == ["parts"]
    assert (out / "index.html").is_file() and (out / "aftersales_2024-03-01_2024-03-31.xlsx").is_file()


def test_branch_nope_exits_2_naming_the_branches(source, tmp_path):
    """`--branch nope` writes nothing and exits 2, naming the branches that exist."""
    done = cli("run", "--source", str(source), *RUN, "--reports", "parts", "--out", str(tmp_path / "x"),
               "--branch", "nope")
    assert done.returncode == 2
    assert "nope" in done.stderr and all(f"'{code}'" in done.stderr for code in ("01", "1", "X9"))
    assert not (tmp_path / "x").exists()


def test_a_kill_mid_run_of_by_branch_leaves_the_previous_tree_intact(source, tree, tmp_path):
    """SIGKILL to a `--by-branch` run while a branch's report runs leaves the previous tree byte for byte."""
    import shutil

    import nbformat

    from aftersales.config import NOTEBOOK_DIR

    out = tmp_path / "out"
    shutil.copytree(tree, out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    notebooks = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOK_DIR, notebooks)
    nb = nbformat.read(notebooks / "parts.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell("import time\nif branch:\n    time.sleep(120)"))
    nbformat.write(nb, notebooks / "parts.ipynb")
    proc = subprocess.Popen([sys.executable, "-m", "aftersales", "run", "--source", str(source), *RUN,
                             "--reports", "parts", "--out", str(out), "--by-branch"],
                            env={**os.environ, "AFTERSALES_NOTEBOOKS": str(notebooks)},
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".out.tmp-*/branches/*/status/parts.log")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list(tmp_path.glob(".out.tmp-*/branches/*/status/parts.log")), "a branch's report had started"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["notebooks", "out"]


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
@pytest.mark.parametrize("width,height", [(390, 844), (1400, 900)])
def test_the_league_reads_in_a_browser_at_a_phones_and_a_desks_width(tree, width, height, tmp_path):
    """In a real browser the group's landing page has no sideways scroll at 390 and 1400 px, its league bars shown in rank order."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
        try:
            page = browser.new_context(viewport={"width": width, "height": height}).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto((tree / "index.html").as_uri(), wait_until="load")
            page.locator("#branches").scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / f"league-{width}.png"), full_page=True)
            scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert scroll <= inner, f"sideways overflow at {width} px: {scroll} > {inner}"
            bars = page.evaluate("""() => Array.from(document.querySelectorAll('.as-lb')).map(li => {
                const b = li.getBoundingClientRect(), bar = li.querySelector('.as-lb-bar span').getBoundingClientRect();
                return {branch: li.dataset.branch, left: b.left, right: b.right, bar: bar.width,
                        text: li.innerText};
            })""")
            assert [b["branch"] for b in bars] == ["1", "01", "X9"]
            assert all(0 <= b["left"] and b["right"] <= inner for b in bars), bars
            assert bars[0]["bar"] > bars[1]["bar"] > bars[2]["bar"] > 0, "bar lengths follow sales 400, 300, 30"
            assert MARKUP in bars[1]["text"], "the name with markup shows as text"
            assert not errors, errors
        finally:
            browser.close()


def test_branch_folders_are_the_code_when_safe_else_a_short_unique_name():
    """A branch's pack folder is its code when that is a safe file name, else a short name, never two branches in one folder."""
    from aftersales.run.group_step import branch_folders

    folders = branch_folders(["01", "1", "a/b", "..", "A", "a", "<b>", "north-1.x"])
    assert folders["01"] == ("01", "code") and folders["1"] == ("1", "code")
    assert folders["north-1.x"] == ("north-1.x", "code")
    for unsafe in ("a/b", "..", "<b>", "A", "a"):  # a separator, a parent, markup; A and a are one folder on some disks
        name, named = folders[unsafe]
        assert named == "short name" and name.startswith("b-") and len(name) == 12
    names = [name.casefold() for name, _ in folders.values()]
    assert len(set(names)) == len(names)
