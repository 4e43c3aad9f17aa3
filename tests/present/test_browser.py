"""The pack in a real browser: headless Chromium opens every page of one run from disk with
every request that is not the file itself blocked, and checks what a reader relies on."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from test_pack import XSS

from browser import ARGS, CHROMIUM

PAGES = ["index", "parts", "labour", "workshop", "operations", "accounts", "sales"]
needs_browser = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                                   "(`.ci/run` installs it: apt-get install chromium)")


@pytest.fixture(scope="module")
def pack(whole_pack):
    """The whole pack of a small source (conftest.whole_pack); returns the output folder."""
    return whole_pack


class Browser:
    """One headless Chromium with a fresh profile; each page is opened from disk and its
    console errors, outside requests and dialogs are recorded."""

    def __init__(self, playwright, profile: Path):
        self.context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=ARGS,
            viewport={"width": 1400, "height": 900},
        )
        self.blocked: list[str] = []
        self.context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def open(self, path: Path):
        page = self.context.new_page()
        page.problems = []
        page.dialogs = []
        page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))

        def dialog(d):
            page.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)
        page.goto(path.as_uri(), wait_until="load")
        return page


@pytest.fixture(scope="module")
def browser(pack):
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (`.ci/run` installs it: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    profile = Path(tempfile.mkdtemp(prefix="aftersales-chromium-"))
    with sync_playwright() as playwright:
        b = Browser(playwright, profile)
        yield b
        b.context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def opened(browser, pack, tmp_path_factory):
    """Every page of the pack, opened once; a screenshot of each is kept for a person to look at."""
    shots = tmp_path_factory.mktemp("screenshots")  # the test output folder, never the user's outputs/
    pages = {}
    for name in PAGES:
        page = browser.open(pack / f"{name}.html")
        shot = shots / f"{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        pages[name] = page
    return pages


def grids(page):
    """Each grid of the page: id, whether it is shown, its rows in the page and those shown now."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('table.as-grid')).map(t => ({
        id: t.id, static: t.classList.contains('as-static'), visible: t.offsetParent !== null,
        rows: t.tBodies[0] ? t.tBodies[0].rows.length : 0,
        shown: t.tBodies[0] ? Array.from(t.tBodies[0].rows).filter(r => r.offsetParent !== null).length : 0}))""")


def column(page, table_id: str, index: int) -> list[str]:
    """The shown text of one column of a grid's rows on screen."""
    return page.evaluate("""([id, i]) => Array.from(document.getElementById(id).tBodies[0].rows)
        .filter(r => r.offsetParent !== null).map(r => r.cells[i].textContent)""", [table_id, index])


def every_row(page, table_id: str, index: int) -> list[str]:
    """The shown text of one column of all a grid's rows, on screen or not."""
    return page.evaluate("""([id, i]) => Array.from(document.getElementById(id).tBodies[0].rows)
        .map(r => r.cells[i].textContent)""", [table_id, index])


def number(text: str):
    return float(text.replace(",", "")) if text.strip() else None


@needs_browser
def test_every_page_opens_from_disk_with_no_errors_and_no_request_out(opened, browser):
    """Each page opens from the file alone: no console error, no script error, nothing asked of the network."""
    for name, page in opened.items():
        assert page.problems == [], f"{name}.html: {page.problems}"
        assert page.dialogs == [], f"{name}.html opened a dialog: {page.dialogs}"
    assert browser.blocked == [], f"requests left the file: {browser.blocked}"


@needs_browser
def test_every_grid_is_visible_with_rows(opened):
    """Every grid of every page is shown and has rows; a grid longer than a page shows one page of them."""
    paged = 0
    for name, page in opened.items():
        found = grids(page)
        assert found or name == "index", f"{name}.html has no grid"
        for g in found:
            assert g["visible"], f"{name}.html: grid {g['id']} is hidden"
            assert g["rows"] > 0 and g["shown"] > 0, f"{name}.html: grid {g['id']} has no rows"
            if not g["static"] and g["rows"] > 25:
                assert g["shown"] == 25, f"{name}.html: grid {g['id']} shows {g['shown']} rows on its first page"
                paged += 1
    assert paged, "the test pack should page at least one grid"


@needs_browser
def test_clicking_a_header_sorts_the_grid(opened):
    """Clicking a column header sorts the rows by it, ascending then descending, across all pages."""
    page = opened["parts"]
    ident = "table-documents"
    heads = page.evaluate("id => Array.from(document.getElementById(id).tHead.rows[0].cells).map(c => c.textContent)",
                          ident)
    net = heads.index("Net")
    before = column(page, ident, net)
    page.click(f"#{ident} thead th:nth-child({net + 1})")
    ascending = [number(v) for v in column(page, ident, net)]
    assert ascending == sorted(ascending) and ascending != [number(v) for v in before]
    page.click(f"#{ident} thead th:nth-child({net + 1})")
    descending = [number(v) for v in column(page, ident, net)]
    assert descending == sorted(descending, reverse=True)
    assert descending[0] >= max(ascending)  # the largest of all 40 documents, not just of the first page
    gross = heads.index("Gross")  # a second sort, from the order the first left
    page.click(f"#{ident} thead th:nth-child({gross + 1})")
    values = [number(v) for v in column(page, ident, gross)]
    assert values == sorted(values) and values[0] == min(number(v) for v in every_row(page, ident, gross))
    # every interactive grid on every page sorts by its first column
    for name, p in opened.items():
        for g in grids(p):
            if g["static"] or g["rows"] < 2:
                continue
            p.click(f"#{g['id']} thead th:nth-child(1)")
            sort = p.evaluate("id => document.getElementById(id).tHead.rows[0].cells[0].getAttribute('aria-sort')",
                              g["id"])
            assert sort == "ascending", f"{name}.html: {g['id']} did not sort"


@needs_browser
def test_the_search_box_filters_and_the_pager_pages(opened):
    """Typing in a grid's search box keeps only matching rows; clearing it brings all back; Next shows the next page."""
    page = opened["parts"]
    ident = "table-documents"
    search = page.locator(f"#{ident}").locator("xpath=../preceding-sibling::div[contains(@class,'as-bar')][1]")
    search.locator("input.as-search").fill("D017")
    assert column(page, ident, 0) == ["D017"]
    assert "1 of 40 rows" in search.locator(".as-info").inner_text()
    search.locator("input.as-search").fill("")
    assert len(column(page, ident, 0)) == 25
    first = column(page, ident, 0)
    search.locator("button.as-next").click()
    second = column(page, ident, 0)
    assert len(second) == 15 and not set(first) & set(second)
    classes = page.evaluate("""id => Array.from(document.getElementById(id).tBodies[0].rows)
        .filter(r => r.offsetParent !== null).map(r => r.className)""", ident)
    assert {"as-invoice", "as-credit"} <= {c.split()[0] for c in classes if c}, "the legend's colours hold on page 2"


@needs_browser
def test_printing_shows_every_row(opened):
    """A printed page holds every row of a paged grid, not only the page on screen."""
    page = opened["parts"]
    page.emulate_media(media="print")
    try:
        rows = page.evaluate("""() => Array.from(document.getElementById('table-documents').tBodies[0].rows)
            .filter(r => getComputedStyle(r).display !== 'none').length""")
        assert rows == 40
        assert page.evaluate("() => getComputedStyle(document.querySelector('.as-bar')).display") == "none"
    finally:
        page.emulate_media(media="screen")


@needs_browser
def test_text_from_the_data_is_shown_as_text(opened):
    """An account named like a script shows as that very text, runs nothing and opens no dialog."""
    for name in ("parts", "accounts", "index"):
        page = opened[name]
        shown = page.evaluate("""(xss) => Array.from(document.querySelectorAll('td'))
            .filter(td => td.textContent === xss).length""", XSS)
        assert shown >= 1, f"{name}.html does not show the account name as text"
        if name == "parts":  # the documents of A1, on the first page (HTML) and past it (data for the script)
            assert shown == 10, "every document of the account shows its name"
        scripts = page.evaluate("() => Array.from(document.scripts).filter(s => s.textContent.includes('alert(')).length")
        assert scripts == 0, f"{name}.html holds a script element made from data"
        assert page.dialogs == []


@needs_browser
def test_the_index_links_resolve(opened, pack):
    """Every link on the landing page leads to a file of the pack or a place on the page; each report page's
    contents links lead to its sections."""
    for name, page in opened.items():
        hrefs = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
        if name == "index":
            files = {h for h in hrefs if not h.startswith("#")}
            assert {f"{r}.html" for r in PAGES[1:]} <= files
        for href in hrefs:
            target = urlparse(href)
            assert not target.scheme and not target.netloc, f"{name}.html links outside: {href}"
            if target.path:
                assert (pack / unquote(target.path)).is_file(), f"{name}.html links a missing {href}"
            elif target.fragment:
                assert page.locator(f"#{target.fragment}").count() == 1, f"{name}.html: no #{target.fragment}"


@needs_browser
def test_landing_page_shows_the_headline_tiles(opened):
    """The landing page shows parts net, labour net, total GP%, workshop productivity and sales attainment."""
    labels = opened["index"].locator(".as-tile .as-label").all_inner_texts()
    wanted = ["Parts net sales", "Labour net sales", "GP% (parts + labour)", "Workshop productivity (Pro%)",
              "Team sales attainment %"]
    assert all(w.upper() in [label.upper() for label in labels] for w in wanted), labels
    changes = opened["index"].locator(".as-tile .as-change").all_inner_texts()
    assert any("vs prior year" in c for c in changes)


def test_every_page_is_one_file_under_the_size_limit(pack):
    """Each page names no outside file to load, and the manifest records page sizes under 3 MB."""
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    for name in PAGES:
        page = (pack / f"{name}.html").read_text(encoding="utf-8")
        assert not re.search(r"<(script|img|iframe)[^>]+src=\"(?!data:)", page), name
        assert not re.search(r"<link[^>]+href=", page), name
        assert "@import" not in page and "url(http" not in page, name
    sizes = {r: s["html_bytes"] for r, s in manifest["reports"].items()}
    assert all(0 < size < 3_000_000 for size in sizes.values()), sizes
    assert manifest["index_bytes"] == (pack / "index.html").stat().st_size
    assert (pack / manifest["workbook"]["file"]).is_file()


def test_report_pages_show_no_code_and_put_tiles_first(pack):
    """Each report page shows a title with the period, the contents, tiles before any grid, no code or prompts."""
    for name in PAGES[1:]:
        page = (pack / f"{name}.html").read_text(encoding="utf-8")
        shown = re.sub(r"<(style|script)[^>]*>.*?</\1>", "", page, flags=re.S)
        assert "01 Mar 2024 to 31 Mar 2024" in shown and 'class="as-toc"' in shown, name
        assert "jp-InputArea" not in shown and "In&nbsp;[" not in shown and "Traceback" not in shown, name
        assert "jp-mod-noOutputs" not in shown, f"{name}.html keeps empty cells"
        assert shown.index('class="as-tiles"') < shown.index('class="as-grid'), name
