"""The drill-down of the Parts and Labour pages in a real browser (headless Chromium, every request
but the file blocked), on a wide screen and on a phone: a grid row opens its documents under the
grid, their Net adds up to the row's, a document opens its lines, Close hides them; past
`report.drill_lines` the page says what it holds; markup in a name stays text; the page stays small."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from test_pack import XSS, pack_source

from aftersales.cli import main
from browser import ARGS, CHROMIUM, block_outside
from factory import write_table

WIDTHS = (1400, 390)
#: More parts lines than a page holds (report.drill_lines, 5,000): 2,000 documents of 3 lines in March.
EXTRA_DOCUMENTS = 2000


def drill_source(folder: Path) -> Path:
    """The pack's small source, with 6,000 more parts lines: the page then holds only the latest documents."""
    source = pack_source(folder)
    with open(source / "parts_lines.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    accounts = ["A1", "A2", "00042", "A4"]
    for i in range(EXTRA_DOCUMENTS):
        for j in range(3):
            rows.append(dict(document=f"X{i:05d}", doc_type="invoice", date_edit=f"2024-03-{1 + i % 28:02d}",
                             account=accounts[i // 28 % 4], department="PW"[j % 2], sale_type=f"S{j}",
                             operator=f"OP{i % 3}", part_no=f"N{j}", quantity=1 + j, retail_price=5 + i % 7,
                             selling_price=5 + i % 7, discount=0, cost_price=3))
    write_table(source, "parts_lines", rows)
    return source


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """One run of the Parts and Labour pages; returns the output folder."""
    base = tmp_path_factory.mktemp("drill-pack")
    out = base / "out"
    status = main(["run", "--source", str(drill_source(base / "src")), "--from", "2024-03-01", "--to",
                   "2024-03-31", "--as-of", "2024-03-31", "--out", str(out), "--reports", "parts,labour"])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    failed = {r: s.get("error") for r, s in manifest["reports"].items() if s["status"] != "ok"}
    assert status == 0 and not failed, failed
    return out


@pytest.fixture(scope="module")
def chromium(pack):
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (`.ci/run` installs it: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def opener(chromium, tmp_path):
    """Open a page from disk at a width; records console errors, script errors, dialogs, outside requests."""
    contexts, blocked = [], []
    def open_page(path: Path, width: int):
        context = chromium.new_context(viewport={"width": width, "height": 900})
        blocked.append(block_outside(context))  # each context's list fills as its pages load
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
        page.on("dialog", lambda d: (page.problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.goto(path.as_uri(), wait_until="load")
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not any(blocked), f"requests left the file: {blocked}"


def money(text: str) -> float:
    return float(text.replace(",", "")) if text.strip() else 0.0


def column_of(page, table: str, header: str) -> int:
    """The place of the column named `header` in a table (CSS selector)."""
    heads = page.eval_on_selector(table, "t => Array.from(t.tHead.rows[0].cells).map(c => c.textContent)")
    return heads.index(header)


def cells(page, table: str, index: int) -> list[str]:
    """The text of one column of every body row of a table (CSS selector), on screen or paged away."""
    return page.eval_on_selector(table, "(t, i) => Array.from(t.tBodies[0].rows).map(r => r.cells[i].textContent)",
                                 index)


def open_latest_day(page):
    """Sort Activity newest first (two clicks on Date) and click its first row: the latest day's row."""
    head = page.locator("#grid-activity thead th").first
    head.click()
    head.click()
    row = page.locator("#grid-activity tbody tr:visible").first
    row.click()
    return row


def check_row_opens_documents_and_lines(page, width: int, shots: Path, name: str, grid: str = "activity"):
    """A row's documents add up to its Net; a document's lines to the document's; Close hides them."""
    if grid == "activity":
        row = open_latest_day(page)
    else:
        row = page.locator(f"#grid-{grid} tbody tr:visible").first
        row.click()
    net_at = column_of(page, f"#grid-{grid}", "Net")
    row_net = row.locator("td").nth(net_at).text_content()
    panel = page.locator(f"#grid-{grid}").locator("xpath=ancestor::div[contains(@class,'as-wide')][1]") \
        .locator("xpath=following-sibling::div[contains(@class,'as-drill-panel')]")
    assert panel.count() == 1 and panel.is_visible()
    assert row.locator("td").first.text_content() in panel.locator("h4").text_content()
    assert panel.locator(".as-note").count() == 0, "the row's documents are all held"
    docs = ".as-drill-panel table.as-drill-docs"
    doc_net = column_of(page, docs, "Net")
    nets = cells(page, docs, doc_net)
    assert len(nets) > 1
    assert round(sum(money(t) for t in nets), 2) == money(row_net), (nets, row_net)
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, box

    first = page.locator(f"{docs} tbody tr:visible").first
    doc_lines = first.locator("td").nth(column_of(page, docs, "Lines")).text_content()
    first.click()
    lines = ".as-drill-panel .as-drill-lines table"
    assert page.locator(lines).is_visible()
    line_nets = cells(page, lines, column_of(page, lines, "Net"))
    assert len(line_nets) == int(doc_lines)
    assert round(sum(money(t) for t in line_nets), 2) == money(first.locator("td").nth(doc_net).text_content())
    page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=False)

    panel.locator("button.as-drill-close").click()
    assert page.locator(".as-drill-panel").count() == 0
    assert page.locator(lines).count() == 0


@pytest.mark.parametrize("width", WIDTHS)
def test_parts_row_opens_its_documents_and_a_document_its_lines(pack, opener, width, tmp_path):
    """Parts: the latest day's row lists its documents (their Net adds up to the row's), a document its
    lines (their Net adds up to its), Close hides them; no console error; the page is under 1 MB."""
    page = opener(pack / "parts.html", width)
    check_row_opens_documents_and_lines(page, width, tmp_path, "parts")
    assert page.problems == []
    assert (pack / "parts.html").stat().st_size < 1_000_000


@pytest.mark.parametrize("width", WIDTHS)
def test_labour_row_opens_its_documents_and_a_document_its_lines(pack, opener, width, tmp_path):
    """Labour: the same, on its Departments grid (its twelve jobs are in one department)."""
    page = opener(pack / "labour.html", width)
    check_row_opens_documents_and_lines(page, width, tmp_path, "labour", "departments")
    assert page.problems == []


def test_past_the_cap_the_page_and_the_row_say_what_they_hold(pack, opener):
    """The page holds the latest documents up to 5,000 lines and says of how many; the first day's row,
    whose documents are not held, says so and where they all are."""
    with open(pack.parent / "src" / "parts_lines.csv", encoding="utf-8", newline="") as handle:
        documents: dict[tuple, int] = {}
        for line in csv.DictReader(handle):
            if line["date_edit"].startswith("2024-03"):
                key = (line["date_edit"], line["document"])
                documents[key] = documents.get(key, 0) + 1
    held = lines = 0
    for day, number in sorted(documents, key=lambda k: (-int(k[0][-2:]), k[1])):  # newest first
        if lines + documents[day, number] > 5000:
            break
        held, lines = held + 1, lines + documents[day, number]
    assert (len(documents), sum(documents.values())) == (2040, 6040)  # the pack's 40 one-line invoices and ours
    page = opener(pack / "parts.html", 1400)
    note = page.locator(".as-drill-note").text_content()
    assert f"This page holds the {held:,} most recent documents ({lines:,} lines) of the period's 2,040 " \
           "documents (6,040 lines)" in note, note
    assert "parts/documents" in note and "spreadsheet" in note
    page.locator("#grid-activity tbody tr").first.click()
    panel = page.locator(".as-drill-panel")
    text = panel.locator(".as-note").text_content()
    assert text.startswith("This page holds none of this row's") and "CSV table parts/documents" in text, text
    assert page.problems == []


def test_enter_opens_a_row_and_escape_closes_it(pack, opener):
    """A row is reached with the keyboard: Enter opens its documents, Escape closes them and focus returns."""
    page = opener(pack / "parts.html", 1400)
    row = page.locator("#grid-departments tbody tr").first
    assert row.get_attribute("tabindex") == "0"
    row.focus()
    page.keyboard.press("Enter")
    panel = page.locator(".as-drill-panel")
    assert panel.is_visible() and "Department" in panel.locator("h4").text_content()
    page.keyboard.press("Escape")
    assert panel.count() == 0
    assert page.evaluate("document.activeElement.closest('table').id") == "grid-departments"
    assert page.problems == []


def test_a_name_with_markup_is_shown_as_text(pack, opener):
    """A1's name is a script tag: in a row's documents it reads as its text, and nothing runs."""
    page = opener(pack / "parts.html", 1400)
    open_latest_day(page)
    docs = ".as-drill-panel table.as-drill-docs"
    names = cells(page, docs, column_of(page, docs, "Name"))
    assert XSS in names
    assert page.locator(".as-drill-panel script").count() == 0
    assert page.problems == []
