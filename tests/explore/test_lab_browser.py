"""The explorer in a real JupyterLab: `jupyter lab` from .venv-lab on loopback with a token, report
notebooks opened in headless Chromium (Playwright, Debian's chromium) at 1,400 px with the file
browser open, and run: parts — YTD, a department typed in its search picker, a click on a day's row
button under the Activity grid (→ its documents), a document typed (→ its lines, a grid wider than
its box that scrolls inside it), an export; accounts — accounts searched and chosen as tags among 32,
a click on an account's row (→ its documents), a tag removed by its ×.

Marked `lab` (one Lab server for the module: ~60–90 s in all). It builds .venv-lab when missing, as
`make lab` does (~30 s: JupyterLab's wheels, no Node build), so it runs in CI; it is skipped only
without Debian's /usr/bin/chromium, as the page tests are. It prints the timings of its interactions.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import test_branches as group_data
from test_picking import MANY, MANY_PARTS
from test_widgets import ACCOUNTS, AS_OF, CLOCKINGS, LABOUR, PARTS, REPS

from aftersales.explore import lab
from factory import make_source

ROOT = Path(__file__).resolve().parents[2]
LAB_VENV = ROOT / ".venv-lab"
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(root: Path, name: str, source: Path, copy: str = "") -> None:
    """A copy of a report notebook in the Lab's root (named `copy` when given), pointed at `source` as of AS_OF."""
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
    params = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    params["source"] = [line.replace('source = ""', f"source = {str(source)!r}").replace(
        'as_of = ""', f"as_of = {AS_OF!r}") for line in params["source"]]
    (root / f"{copy or name}.ipynb").write_text(json.dumps(nb, indent=1), encoding="utf-8")


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    """A Lab on copies of the parts and accounts notebooks pointed at small data (accounts: 32 of
    them), with the kernel `make lab` installs."""
    tmp_path = tmp_path_factory.mktemp("lab")
    source = make_source(tmp_path / "src", parts_lines=PARTS, labour_lines=LABOUR, clockings=CLOCKINGS,
                         accounts=ACCOUNTS, sales_reps=REPS)
    many = make_source(tmp_path / "many", parts_lines=[*PARTS, *MANY_PARTS], labour_lines=LABOUR,
                       clockings=CLOCKINGS, accounts=[*ACCOUNTS, *MANY], sales_reps=REPS)
    root = tmp_path / "notebooks"
    root.mkdir()
    _notebook(root, "parts", source)
    _notebook(root, "accounts", many)
    group = make_source(tmp_path / "group", parts_lines=group_data.PARTS, labour_lines=group_data.LABOUR,
                        clockings=group_data.CLOCKINGS, branches=group_data.BRANCHES, accounts=group_data.ACCOUNTS)
    _notebook(root, "parts", group, copy="group_parts")
    kernels = tmp_path / "jupyter" / "kernels" / "aftersales"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", f"--ext={lab.EXTENSION}"],
        "display_name": "Aftersales", "language": "python", "env": {"AFTERSALES_INTERACTIVE": "1"}}))
    if not (LAB_VENV / "bin" / "jupyter").exists():  # as `make lab` builds it (~30 s)
        subprocess.run(["make", "-C", str(ROOT), ".venv-lab/.installed-stamp"], check=True, timeout=900)
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "AFTERSALES_INTERACTIVE")}
    env.update(JUPYTER_PATH=f"{tmp_path / 'jupyter'}{os.pathsep}{LAB_VENV / 'share' / 'jupyter'}",
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"), HOME=str(tmp_path))
    args = [str(LAB_VENV / "bin" / "jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
            "jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.1)
        else:
            pytest.fail("JupyterLab did not start: " + (tmp_path / "lab.log").read_text())
        assert server.poll() is None, (tmp_path / "lab.log").read_text()
        yield base, token, root
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(root / "exports", ignore_errors=True)


@pytest.fixture
def lab_page(request):
    """A page of headless Chromium at 1,400 × 1,000 (the Lab's file browser open beside the notebook);
    the timings a test records in `page.timings` are printed after it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.timings = {}
        try:
            yield page
        finally:
            browser.close()
    print(f"Lab interactions, {request.node.name} (s):", {k: round(v, 2) for k, v in page.timings.items()})


def _status(page, report: str = "Parts") -> str:
    """The explorer's status line (an ipywidgets HTML widget), or "" before it is drawn."""
    found = page.locator(".widget-html", has_text=f"{report} ·")
    return found.first.inner_text(timeout=2000) if found.count() else ""


def _wait_status(page, pattern: str, timeout: float = 60, report: str = "Parts") -> float:
    """Wait until the explorer's status matches; returns the seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            if re.search(pattern, _status(page, report)):
                return time.perf_counter() - started
        except Exception:  # noqa: BLE001 - the status is not drawn yet
            pass
        page.wait_for_timeout(50)
    raise AssertionError(f"status never matched {pattern!r}; page text: {page.inner_text('body')[-3000:]}")


def _open(page, base: str, token: str, name: str, report: str) -> None:
    """Open a notebook with the file browser open beside it, run every cell, wait for the explorer."""
    # a workspace of its own: the Lab restores a workspace's open notebooks, which would take the focus
    page.goto(f"{base}/lab/workspaces/{name}/tree/{name}.ipynb?token={token}&reset")
    page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=60_000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function(f"window.jupyterapp.shell.currentWidget?.context?.path === '{name}.ipynb' && "
                           "window.jupyterapp.shell.currentWidget.sessionContext?.kernelDisplayStatus === 'idle'",
                           timeout=60_000)
    page.evaluate("window.jupyterapp.commands.execute('filebrowser:activate')")
    page.wait_for_function("!window.jupyterapp.shell.leftCollapsed", timeout=10_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    _wait_status(page, r"redrawn in", timeout=120, report=report)
    page.wait_for_timeout(1500)  # the cells below the explorer have run (they draw nothing)


#: Every table box of the explorer on screen: within the notebook, and a table wider than its box
#: scrolls inside it until its last column is in view (read in the page, sizes only).
_BOXES = """() => {
  const panel = document.querySelector('.jp-NotebookPanel').getBoundingClientRect();
  return [...document.querySelectorAll('.jupyter-widgets .as-wide')].filter(b => b.offsetParent).map(b => {
    const box = b.getBoundingClientRect();
    const wider = b.scrollWidth > b.clientWidth + 1;
    b.scrollLeft = b.scrollWidth;
    const cells = b.querySelectorAll('thead th');
    const last = cells[cells.length - 1].getBoundingClientRect();
    const out = {table: b.querySelector('table').id, wider, overflow: getComputedStyle(b).overflowX,
                 inside: box.left >= panel.left - 1 && box.right <= panel.right + 1,
                 lastInView: last.right <= box.right + 1 && last.left >= box.left - 1};
    b.scrollLeft = 0;
    return out;
  });
}"""


def _check_boxes(page) -> list[dict]:
    boxes = page.evaluate(_BOXES)
    for box in boxes:
        assert box["inside"] and box["lastInView"], box
        assert not box["wider"] or box["overflow"] in ("auto", "scroll"), box
    return boxes


def test_parts_in_a_real_jupyterlab(lab_server, lab_page):
    """Opened and run in JupyterLab, the parts notebook shows one report that follows YTD and a department
    typed in its search picker; a click on a day's button under the Activity grid lists its documents, a
    document typed lists its lines, whose wide grid scrolls in its own box beside the open file browser;
    no error, no widget shown as text, and Export's link downloads the spreadsheet."""
    base, token, root = lab_server
    page, timings = lab_page, lab_page.timings
    started = time.perf_counter()
    _open(page, base, token, "parts", "Parts")
    timings["open and run all"] = time.perf_counter() - started
    # MTD, 1 to 15 March 2024: parts net 17 - 8.5 + 40 + 80 = 128.50 (test_widgets' PARTS)
    assert page.locator(".as-title").count() == 1
    assert page.locator(".as-tiles").count() == 1
    assert "128.50" in page.locator(".as-tiles").first.inner_text()
    assert "01 Mar 2024 to 15 Mar 2024" in page.locator(".as-title").first.inner_text()

    page.get_by_role("button", name="YTD", exact=True).click()
    timings["YTD"] = _wait_status(page, r"01 Jan 2024 to 15 Mar 2024 .* redrawn in")
    # YTD adds February's D4 (net 10): 128.50 + 10 = 138.50
    assert page.locator(".as-tiles").count() == 1 and page.locator(".as-title").count() == 1
    assert "138.50" in page.locator(".as-tiles").first.inner_text()
    assert "01 Jan 2024 to 15 Mar 2024" in page.locator(".as-title").first.inner_text()

    department = page.get_by_role("combobox", name="Department", exact=True)  # the search picker
    assert department.get_attribute("placeholder") == "Type to search 3 departments…"
    department.fill("P")
    timings["filter: type Department P"] = _wait_status(page, r"Department P .* redrawn in")
    # department P, YTD: D1 17 + C1 -8.5 + D4 10 = 18.50
    assert "18.50" in page.locator(".as-tiles").first.inner_text()
    assert page.locator(".jupyter-widget-tag", has_text="P").count() == 1  # chosen: a tag with its ×

    # a click on the day's row button under the Activity grid: the Drill-down tab, its documents
    report = page.locator(".jupyter-widget-TabPanel-tabContents").first
    report.locator(".widget-toggle-button", has_text="2024-03-01").first.click()
    timings["click day row → documents"] = _wait_status(page, r"Day 2024-03-01: documents \(2\) listed in")
    items = page.locator("#grid-drill_documents")
    items.wait_for(timeout=10_000)
    assert "C1" in items.inner_text() and "-8.50" in items.inner_text() and "17.00" in items.inner_text()

    document = page.get_by_role("combobox", name="Document", exact=True)  # the searchable document picker
    assert document.get_attribute("placeholder") == "Type to search 2 documents…"
    document.fill("D1")
    timings["type document → lines"] = _wait_status(page, r"Document D1 shown in")
    lines = page.locator("#grid-parts_lines")
    lines.wait_for(timeout=10_000)
    # D1: 2 × 9 − 1 = 17.00 net; 20 columns: wider than the notebook beside the file browser
    assert "17.00" in lines.inner_text()
    boxes = {b["table"]: b for b in _check_boxes(page)}
    assert boxes["grid-parts_lines"]["wider"]

    page.get_by_role("button", name="Export").click()
    timings["export"] = _wait_status(page, r"exported \d+ tables")
    # the Lab resolves the relative link against the notebook's folder: /files/exports/…
    link = page.locator("a[download]", has_text="Download parts_").first
    link.wait_for(timeout=30_000)
    href = link.get_attribute("href")
    assert "/files/exports/parts_2024-01-01_2024-03-15_" in href
    assert ".xlsx?" in href
    started = time.perf_counter()
    with page.expect_download(timeout=30_000) as download:
        link.click()
    got = Path(download.value.path()).read_bytes()
    timings["download"] = time.perf_counter() - started
    assert got[:2] == b"PK" and download.value.suggested_filename.endswith(".xlsx")  # a zip: the spreadsheet
    folders = list((root / "exports").glob("parts_2024-01-01_2024-03-15_*"))
    assert len(folders) == 1
    assert {"drill_documents.csv", "drill_parts_lines.csv"} <= {p.name for p in (folders[0] / "tables" / "parts").iterdir()}

    page.get_by_role("tab", name="Report").click()
    _check_boxes(page)
    _no_error(page)
    page.screenshot(path=str(root.parent / "parts.png"))


def test_accounts_search_and_row_click_in_a_real_jupyterlab(lab_server, lab_page):
    """In the accounts notebook (32 accounts) the account filter is searched: a partial name chooses
    nothing, a whole label is a tag and the report follows; a second account adds a tag; a click on
    an account's row button drills into its documents; the × of a tag removes it."""
    base, token, root = lab_server
    page, timings = lab_page, lab_page.timings
    started = time.perf_counter()
    _open(page, base, token, "accounts", "Accounts")
    timings["open and run all"] = time.perf_counter() - started
    grid = page.locator("#grid-accounts")
    assert "Bravo 01 Motors" in grid.inner_text()  # 32 rows: the first page holds 25
    owner = page.get_by_role("combobox", name="Owner", exact=True)
    assert owner.get_attribute("placeholder") == "Type to search 2 owners…"
    search = page.get_by_role("combobox", name="Account", exact=True)
    assert search.get_attribute("placeholder") == "Type to search 32 accounts…"
    search.press_sequentially("Bravo 07")
    page.wait_for_timeout(500)
    # a partial name chooses nothing (the Lab's list suggests the labels holding it)
    assert " · Account " not in _status(page, "Accounts")
    assert page.locator(".jupyter-widget-tag", has_text="Bravo").count() == 0
    search.fill("B07 · Bravo 07 Motors")
    timings["search account B07"] = _wait_status(page, r"Account B07 .* redrawn in", report="Accounts")
    assert page.locator(".jupyter-widget-tag", has_text="B07 · Bravo 07 Motors").count() == 1
    assert "Bravo 07 Motors" in grid.inner_text() and "Bravo 08 Motors" not in grid.inner_text()
    search.fill("A2 · Beta Fleet")
    timings["search account A2"] = _wait_status(page, r"Account B07, A2 .* redrawn in", report="Accounts")
    # A2: parts D2 40 + D3 80, labour L2 80 = 200.00; B07: 7 × 10 = 70.00
    text = grid.inner_text()
    assert "Beta Fleet" in text and "200.00" in text and "70.00" in text and "270.00" in text

    report = page.locator(".jupyter-widget-TabPanel-tabContents").first
    report.locator(".widget-toggle-button", has_text="A2").first.click()
    timings["click account row → documents"] = _wait_status(
        page, r"Account A2 · Beta Fleet: documents \(3\) listed in", report="Accounts")
    items = page.locator("#grid-drill_documents")
    items.wait_for(timeout=10_000)
    assert all(d in items.inner_text() for d in ("L2", "D2", "D3"))
    _check_boxes(page)

    page.get_by_role("tab", name="Report").click()
    tag = page.locator(".jupyter-widget-tag", has_text="B07 · Bravo 07 Motors")
    tag.locator(".jupyter-widget-tag-close").dispatch_event("mousedown")
    timings["remove tag B07"] = _wait_status(page, r"Account A2 · .*redrawn in", report="Accounts")
    assert "Bravo 07 Motors" not in grid.inner_text()
    _check_boxes(page)
    _no_error(page)
    page.screenshot(path=str(root.parent / "accounts.png"))


def test_a_groups_branch_chosen_in_a_real_jupyterlab(lab_server, lab_page):
    """On a group's parts (four branches, one named with markup) the Branch control shows a button per
    branch: a click on one redraws the report, its title and its tiles on that branch's lines alone,
    and "Whole group" brings every line back."""
    base, token, root = lab_server
    page, timings = lab_page, lab_page.timings
    started = time.perf_counter()
    _open(page, base, token, "group_parts", "Parts")
    timings["open and run all"] = time.perf_counter() - started
    # MTD 1 to 15 March 2024, the group: 17 + 40 + 80 = 137.00 (test_branches' PARTS)
    assert "137.00" in page.locator(".as-tiles").first.inner_text()
    search = page.get_by_role("combobox", name="Branch", exact=True)
    assert search.get_attribute("placeholder") == "Type to search 5 branches…"
    bar = page.locator(".widget-toggle-buttons", has=page.get_by_role("button", name="Whole group", exact=True))
    assert [b.strip() for b in bar.locator(".widget-toggle-button").all_inner_texts()] == [
        "Whole group", "007", "01", "5", "9"]
    bar.get_by_role("button", name="01", exact=True).click()
    timings["click branch 01"] = _wait_status(page, r"branch 01 .*redrawn in")
    assert "17.00" in page.locator(".as-tiles").first.inner_text()  # D1 alone
    assert "branch 01" in page.locator(".as-title").first.inner_text()
    assert search.input_value() == "01 · <b>North</b>"  # the name as text, never as markup
    bar.get_by_role("button", name="Whole group", exact=True).click()
    timings["click whole group"] = _wait_status(page, r"15 Mar 2024 · as of 15 Mar 2024 · redrawn in")
    assert "137.00" in page.locator(".as-tiles").first.inner_text()
    _no_error(page)
    page.screenshot(path=str(root.parent / "group_parts.png"))


def _no_error(page) -> None:
    body = page.inner_text(".jp-Notebook")
    assert page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').count() == 0
    assert "Traceback" not in body and "Error" not in body
    assert "VBox(children" not in body and "Loading widget" not in body
