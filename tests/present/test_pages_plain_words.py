"""Pages in plain words: codes with descriptions, rule titles, Yes/No, unsigned zero changes, one loss
rule; and in a real browser, search without accents and a totals row that never misleads."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from aftersales import present
from aftersales.present import tables
from aftersales.reports import parts
from aftersales.reports.grids import Grid
from aftersales.run import context as report_module
from browser import block_outside
from factory import make_source

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(autouse=True)
def no_codes():
    """Each test starts and ends without code descriptions (they are the kernel's, set by report.start)."""
    tables.use_codes({})
    yield
    tables.use_codes({})


def _cells(markup: str, ident: str) -> list[list[str]]:
    """The text of each body row's cells of table `ident` in `markup` (parsed, not searched)."""
    from html.parser import HTMLParser

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.inside, self.body, self.rows, self.cell = False, False, [], None

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.inside = dict(attrs).get("id") == ident
            elif self.inside and tag == "tbody":
                self.body = True
            elif self.inside and self.body and tag == "tr":
                self.rows.append([])
            elif self.inside and self.body and tag == "td":
                self.cell = ""

        def handle_endtag(self, tag):
            if tag == "tbody":
                self.body = False
            elif tag == "td" and self.cell is not None:
                self.rows[-1].append(self.cell)
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell += data

    parser = Rows()
    parser.feed(markup)
    return parser.rows


def test_codes_show_their_descriptions_in_pages_and_stay_codes_in_csv(tmp_path):
    """A department with a description in the `codes` table shows "P · Parts counter" in the page; the CSV keeps "P"."""
    lines = [dict(document="D1", department="P", sale_type="S1"), dict(document="D2", department="X", sale_type="S1")]
    codes = [dict(kind="department", code="P", description="Parts counter"),
             dict(kind="sale_type", code="S1", description="Retail"),
             dict(kind="labour_type", code="P", description="not a department")]
    folder = make_source(tmp_path / "src", parts_lines=lines, codes=codes)
    ctx = report_module.start("parts", source=str(folder), date_from="2024-03-01", date_to="2024-03-31",
                              as_of="2024-03-31", out_dir=str(tmp_path / "run"))
    try:
        rep = parts.build(ctx)
    finally:
        ctx.source.close()
    page = present.grid(rep.grids["departments"]).data
    # X has no description: shown as the code alone; the labour_type "P" never describes a department
    assert [r[0] for r in _cells(page, "grid-departments")] == ["P · Parts counter", "X"]
    assert [r[0] for r in _cells(present.grid(rep.grids["sales_types"]).data, "grid-sales_types")] == ["S1 · Retail"]
    with open(tmp_path / "run" / "tables" / "parts" / "departments.csv", encoding="utf-8") as handle:
        assert [r["department"] for r in csv.DictReader(handle)] == ["P", "X"]


def test_a_run_on_csv_files_shows_the_descriptions_too(tmp_path):
    """A run reads a CSV source once into a snapshot that every report reads: `codes` must be in it, or the
    pages of a CSV dealer would show bare codes while those of the same data in Parquet show descriptions."""
    folder = make_source(tmp_path / "src", parts_lines=[dict(department="P")],
                         codes=[dict(kind="department", code="P", description="Parts counter")])
    assert (folder / "codes.csv").exists()
    done = subprocess.run([sys.executable, "-m", "aftersales", "run", "--source", str(folder), "--from", "2024-03-01",
                           "--to", "2024-03-31", "--as-of", "2024-03-31", "--reports", "parts", "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=300, env={**os.environ})
    assert done.returncode == 0, done.stderr
    assert "reading the source once" in done.stderr  # the snapshot was made
    page = (tmp_path / "out" / "parts.html").read_text(encoding="utf-8")
    assert [r[0] for r in _cells(page, "grid-departments")] == ["P · Parts counter"]


def test_a_source_without_codes_shows_the_codes_alone(tmp_path):
    """Without a `codes` table a page shows the codes as they are (and a previous run's descriptions are gone)."""
    tables.use_codes({"department": {"P": "Parts counter"}})
    folder = make_source(tmp_path / "src", parts_lines=[dict(department="P")])
    ctx = report_module.start("parts", source=str(folder), date_from="2024-03-01", date_to="2024-03-31",
                              as_of="2024-03-31")
    ctx.source.close()
    frame = pd.DataFrame({"department": ["P"], "net": [1.0]})
    assert _cells(tables.table_html(frame, table_id="t"), "table-t") == [["P", "1.00"]]


def test_rules_read_as_words_and_booleans_as_yes_no():
    """An alert's rule shows its title and a yes/no column shows Yes or No, never gp_drop or True, even
    under the name of an hours column (a labour line's "open" and "close": does it count in Open, in Close)."""
    frame = pd.DataFrame({"rule": ["gp_drop", "sales_decline", "large_document"],
                          "open_clocking": [True, False, True],
                          "flag": pd.Series([True, None, False], dtype="object"),
                          "open": [False, True, False],
                          "close": pd.Series([None, False, True], dtype="object")})
    rows = _cells(tables.table_html(frame, table_id="t"), "table-t")
    from aftersales.reports.alerts import RULE_TITLES

    assert [r[0] for r in rows] == [RULE_TITLES["gp_drop"], "Sales decline", RULE_TITLES["large_document"]]
    assert rows[0][0] == "GP% drop"
    assert [r[1:] for r in rows] == [["Yes", "Yes", "No", ""], ["No", "", "Yes", "No"], ["Yes", "No", "No", "Yes"]]


@pytest.mark.parametrize(("change", "text", "shown", "colour"), [
    (-0.0, "-0.0 pts vs prior year", "0.0 pts vs prior year", ""),
    (-0.04, "-0.0 pts vs prior year", "0.0 pts vs prior year", ""),       # rounds to 0.0: neutral
    (0.0, "+0.00 (+0.0 %) vs prior year", "0.00 (0.0 %) vs prior year", ""),
    (-1.25, "-1.3 pts vs prior year", "-1.3 pts vs prior year", "as-down"),
    (0.05, "+0.05 (+0.1 %) vs prior year", "+0.05 (+0.1 %) vs prior year", "as-up"),  # 0.05 shows +0.1
])
def test_a_zero_change_is_unsigned_and_neutral(change, text, shown, colour):
    """A tile's change that shows as zero reads "0.0" in neutral colour; a real change keeps its sign and colour."""
    markup = present.tiles([{"label": "GP%", "value": 25.0, "kind": "ratio", "change": change,
                             "change_text": text}]).data
    assert f'<div class="as-change {colour}">{shown}</div>' in markup


def test_one_loss_rule_in_the_rows_the_legend_and_the_dictionary():
    """A row is a loss when its profit is below zero (a credit stays a credit), as the legend and dictionary say."""
    frame = pd.DataFrame({"document": ["I1", "I2", "C1", "I3"], "doc_type": ["invoice", "invoice", "credit", None],
                          "profit": [-0.01, 5.0, -2.5, -1.0], "gp_pct": [1.0, -3.0, 10.0, None]})
    markup = tables.table_html(frame, table_id="t")
    # I1: profit −0.01 < 0 → loss even with a positive GP%; I2: profit 5 ≥ 0 → invoice though GP% < 0
    assert '<tr class="as-loss"><td>I1' in markup and '<tr class="as-invoice"><td>I2' in markup
    assert '<tr class="as-credit"><td>C1' in markup and '<tr class="as-loss"><td>I3' in markup
    grid_row = tables.table_html(pd.DataFrame({"department": ["W"], "profit": [-3.0]}), table_id="g")
    assert '<tr class="as-loss"><td>W' in grid_row
    legend = tables.legend_html()
    assert "profit below zero" in legend and "GP%" not in legend
    assert tables.LOSS_RULE in present.dictionary({"Net": "sales"}).data


# ---------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module", params=[1400, 390], ids=["desk", "phone"])
def browser_page(request, tmp_path_factory):
    """A page with the pack's assets and one grid of 12 accounts (3 in Córdoba) and its totals row, in Chromium
    at a desk's width and a phone's."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    towns = ["Córdoba", "Sevilla", "CÓRDOBA", "Málaga", "Cadiz", "córdoba", "Jaén", "Huelva", "Almería",
             "Granada", "Lugo", "Ávila"]
    rows = pd.DataFrame({"account": [f"A{i:02d}" for i in range(12)], "town": towns,
                         "net": [float(10 * (i + 1)) for i in range(12)]})
    total = pd.DataFrame({"net": [rows["net"].sum()]})  # 10 + 20 + … + 120 = 780
    g = Grid("towns", rows, total, ("account",))
    folder = tmp_path_factory.mktemp("page")
    page_file = folder / "page.html"
    page_file.write_text("<!doctype html><html><head><meta charset='utf-8'></head><body class='as-page'>"
                         + present.assets().data + present.grid(g).data + "</body></html>", encoding="utf-8")
    profile = Path(tempfile.mkdtemp(prefix="chromium-"))
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(profile), executable_path=str(CHROMIUM), headless=True,
                                                   args=["--no-sandbox", "--disable-gpu"],
                                                   viewport={"width": request.param, "height": 900})

        blocked = block_outside(ctx)
        page = ctx.new_page()
        page.goto(page_file.as_uri(), wait_until="load")
        yield page
        ctx.close()
    shutil.rmtree(profile, ignore_errors=True)
    assert not blocked


def _shown_towns(page):  # the page's order: the key, Net (a PRIORITY figure), then the town
    return page.evaluate("""() => Array.from(document.getElementById('grid-towns').tBodies[0].rows)
        .filter(r => r.offsetParent !== null).map(r => r.cells[2].textContent)""")


def _foot_visible(page):
    return page.evaluate("() => document.getElementById('grid-towns').tFoot.offsetParent !== null")


def test_search_ignores_case_and_accents(browser_page):
    """Typing "cordoba" finds Córdoba, CÓRDOBA and córdoba; "avila" finds Ávila."""
    page = browser_page
    page.fill("input.as-search", "cordoba")
    assert sorted(_shown_towns(page)) == sorted(["Córdoba", "CÓRDOBA", "córdoba"])
    page.fill("input.as-search", "ÁVILA")
    assert _shown_towns(page) == ["Ávila"]
    page.fill("input.as-search", "")
    assert len(_shown_towns(page)) == 12


def test_the_totals_row_is_hidden_while_searching(browser_page):
    """While a search leaves rows out, the totals row (which counts every row) is hidden and the bar says so."""
    page = browser_page
    assert _foot_visible(page)
    page.fill("input.as-search", "cordoba")
    assert not _foot_visible(page)
    assert "3 of 12 rows" in page.inner_text(".as-info") and "totals row hidden" in page.inner_text(".as-info")
    page.fill("input.as-search", "")
    assert _foot_visible(page)
    assert page.evaluate("() => document.getElementById('grid-towns').tFoot.rows[0].cells[1].textContent") == "780.00"


def test_a_printed_page_has_no_controls_and_repeats_the_table_header(browser_page):
    """Printed, a page shows no search bar or buttons, every row, and the header as a repeating table header."""
    page = browser_page
    page.emulate_media(media="print")
    try:
        assert page.evaluate("() => getComputedStyle(document.querySelector('.as-bar')).display") == "none"
        assert page.evaluate("() => getComputedStyle(document.querySelector('#grid-towns thead')).display") \
            == "table-header-group"
        assert page.evaluate("""() => Array.from(document.getElementById('grid-towns').tBodies[0].rows)
            .filter(r => getComputedStyle(r).display !== 'none').length""") == 12
    finally:
        page.emulate_media(media="screen")
