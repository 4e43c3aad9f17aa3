"""The pages on a phone (390 px wide) and on a wide screen (1400 px): the key and the main figures
first, a wide table scrolling in its own box under its first column with a cue while it does,
tiles two a row, and never a page wider than the screen; and the plain words that go with them
(an owner's name beside the code, counts shown whole)."""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from test_browser import PAGES

from aftersales.present import tables
from aftersales.reports.grids import Grid
from browser import ARGS, CHROMIUM, block_outside

PHONE, WIDE = 390, 1400
needs_browser = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


# ---------------------------------------------------------------- the rules, without a browser


def test_a_table_shows_its_key_then_net_gp_and_the_prior_year_then_the_rest():
    """One rule orders every table in a page: key (and the name beside it), Net / Sales, GP%, the comparison
    with the prior year, then the other columns as they came; the totals row follows the same order."""
    assert tables.page_order(["department", "documents", "gross", "net", "cost", "gp_pct"], ("department",)) \
        == ["department", "net", "gp_pct", "documents", "gross", "cost"]
    accounts = ["account", "name", "owner", "sales", "sales_prior", "growth_pct", "margin", "gp_pct",
                "gp_pct_prior", "gp_change_pts"]
    assert tables.page_order(accounts, ("account",)) == [
        "account", "name", "sales", "gp_pct", "growth_pct", "gp_change_pts", "sales_prior", "gp_pct_prior",
        "owner", "margin"]
    # without a key the first column leads; a table without those figures keeps its order
    assert tables.page_order(["document", "date", "net"]) == ["document", "net", "date"]
    assert tables.page_order(["bucket", "jobs", "hours"]) == ["bucket", "jobs", "hours"]

    rows = pd.DataFrame({"department": ["P", "W"], "gross": [100.0, 50.0], "net": [90.0, 40.0],
                         "gp_pct": [25.0, 12.5]})
    total = pd.DataFrame([{"gross": 150.0, "net": 130.0, "gp_pct": 20.0}])
    page = tables.grid(Grid("departments", rows, total, ("department",)), legend=False).data
    heads = re.findall(r"<th class=[^>]*>(.*?)</th>", page)
    assert heads == ["Department", "Net", "GP%", "Gross"]
    foot = re.findall(r"<td>(.*?)</td>", page.split("<tfoot>")[1])
    assert foot == ["Total", "130.00", "20.0", "150.00"]


def test_an_owner_shows_its_name_and_the_owners_own_grid_keeps_the_code(monkeypatch):
    """An owner (a rep's code) reads "R1 · Rita Rep"; a name with markup is shown as text; where the name already
    stands beside the code (the owners grid), the code stays alone."""
    monkeypatch.setattr(tables, "CODES", {})
    tables.use_names("owner", {"R1": 'Rita <b>Rep</b> & "Co"', "R2": float("nan")})
    accounts = pd.DataFrame({"account": ["A1", "A2"], "name": ["Alpha", "Beta"], "owner": ["R1", "R2"]})
    page = tables.frame(accounts, table_id="accounts").data
    assert "<td>R1 · Rita &lt;b&gt;Rep&lt;/b&gt; &amp; \"Co\"</td>" in page
    assert "<td>R2</td>" in page  # no name: the code alone
    owners = pd.DataFrame({"owner": ["R1"], "name": ["Rita Rep"], "sales": [5.0]})
    page = tables.grid(Grid("owners", owners, None, ("owner",)), legend=False).data
    assert "<td>R1</td><td>Rita Rep</td>" in page


def test_repair_orders_show_each_figure_in_its_unit():
    """ROs are a count (whole), hours and money have 2 decimals, parts to labour is a factor; Change % is a
    percentage with 1 decimal, whatever the row."""
    from aftersales.reports import operations as op
    from aftersales.reports.operations_report import _change_in_words

    figures = {"ros": (56, 69), "hours_sold": (301.9, 308.8), "hours_per_ro": (5.39, 4.48),
               "labour_net": (31343.93, 32704.1), "labour_per_ro": (559.71, 473.97),
               "workshop_parts_net": (8032.51, 10649.68), "parts_per_ro": (143.44, 154.34),
               "parts_to_labour": (0.26, 0.33), "elr": (103.82, 105.91), "gross_profit": (26409.34, 29151.44)}
    assert list(figures) == list(op.REPAIR_ORDER_FIGURES)
    now = Grid("summary", pd.DataFrame([{f: float(v[0]) for f, v in figures.items()}]), None, ())
    prior = Grid("summary", pd.DataFrame([{f: float(v[1]) for f, v in figures.items()}]), None, ())
    page = tables.frame(_change_in_words(op.repair_orders_change(now, prior)), table_id="ro").data
    rows = {cells[0]: cells[1:] for cells in (re.findall(r"<td>(.*?)</td>", r)
                                              for r in page.split("<tbody>")[1].split("</tbody>")[0].split("</tr>"))
            if cells}
    assert re.findall(r"<th class=[^>]*>(.*?)</th>", page) == ["Figure", "Value", "Prior", "Change", "Change %"]
    assert rows["ROs (repair orders)"] == ["56", "69", "-13", "-18.8"]  # 56 − 69; −13 ÷ 69
    assert rows["Hours sold"] == ["301.90", "308.80", "-6.90", "-2.2"]
    assert rows["Labour net"] == ["31,343.93", "32,704.10", "-1,360.17", "-4.2"]
    assert rows["Parts to labour"] == ["0.26", "0.33", "-0.07", "-21.2"]  # −0.07 ÷ 0.33
    assert rows["ELR (effective labour rate)"] == ["103.82", "105.91", "-2.09", "-2.0"]
    assert "shown" not in page.lower().split("<tbody>")[0]  # the unit column is not shown


# ---------------------------------------------------------------- one pack, in a browser


@pytest.fixture(scope="module")
def pack(whole_pack):
    """The whole pack of a small source (conftest.whole_pack)."""
    return whole_pack


@pytest.fixture(scope="module")
def screens(pack, tmp_path_factory):
    """Every page opened at each width in headless Chromium (requests other than the file blocked);
    screenshots of the landing and parts pages go to the test's own folder."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    shots = tmp_path_factory.mktemp("phone-screenshots")
    profile = Path(tempfile.mkdtemp(prefix="aftersales-phone-"))
    blocked: list[list[str]] = []  # per context, the requests it blocked
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        opened = {}
        for width in (PHONE, WIDE):
            ctx = browser.new_context(viewport={"width": width, "height": 844 if width == PHONE else 900})
            blocked.append(block_outside(ctx))
            for name in PAGES:
                page = ctx.new_page()
                page.goto((pack / f"{name}.html").as_uri(), wait_until="load")
                if name in ("index", "parts"):
                    page.screenshot(path=str(shots / f"{name}-{width}.png"))
                opened[name, width] = page
        opened["shots"] = shots
        yield opened
        browser.close()
    shutil.rmtree(profile, ignore_errors=True)
    assert not any(blocked), f"requests left the file: {blocked}"


def _box(page, selector: str, index: int = 0) -> dict:
    return page.evaluate("""([s, i]) => { const r = document.querySelectorAll(s)[i].getBoundingClientRect();
        return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }""", [selector, index])


@needs_browser
def test_no_page_is_wider_than_the_screen(screens):
    """At 390 and 1400 px, no page scrolls sideways: only a table's own box does."""
    for (name, width), page in ((k, v) for k, v in screens.items() if k != "shots"):
        sizes = page.evaluate("""() => ({doc: document.documentElement.scrollWidth, body: document.body.scrollWidth,
                                         view: document.documentElement.clientWidth})""")
        assert sizes["doc"] <= sizes["view"] and sizes["body"] <= sizes["view"], f"{name}.html at {width} px: {sizes}"


@needs_browser
def test_tiles_are_two_a_row_on_a_phone_and_one_row_on_a_wide_screen(screens):
    """The six Workshop tiles: two a row at 390 px, in the top half of the first screen; one row at 1400 px."""
    phone = screens["workshop", PHONE]
    boxes = [_box(phone, ".as-tile", i) for i in range(6)]
    for left, right in ((0, 1), (2, 3), (4, 5)):
        assert boxes[left]["top"] == boxes[right]["top"] and boxes[left]["left"] < boxes[right]["left"]
    assert boxes[0]["top"] < boxes[2]["top"] < boxes[4]["top"] and boxes[0]["left"] == boxes[2]["left"]
    assert boxes[5]["bottom"] < 844 / 2, boxes[5]
    wide = [_box(screens["workshop", WIDE], ".as-tile", i) for i in range(6)]
    assert len({b["top"] for b in wide}) == 1


@needs_browser
def test_a_phone_shows_a_note_in_place_of_each_chart(screens):
    """Chart labels cannot be read at 390 px: there each chart gives way to a note naming it (its section's
    table holds the figures); at 1400 px the chart shows and the note does not."""
    def seen(page):
        return page.evaluate("""() => Array.from(document.querySelectorAll('.as-chart')).map(c => ({
            img: c.querySelector('img').offsetParent !== null, note: c.querySelector('.as-chart-narrow').offsetParent !== null,
            text: c.querySelector('.as-chart-narrow').textContent}))""")
    phone, wide = seen(screens["parts", PHONE]), seen(screens["parts", WIDE])
    assert phone and len(phone) == len(wide)
    assert all(not c["img"] and c["note"] for c in phone)
    assert all(c["img"] and not c["note"] for c in wide)
    assert "Daily parts net sales and GP%" in phone[0]["text"]


@needs_browser
def test_net_and_gp_come_right_after_the_key_with_the_totals_in_line(screens):
    """The parts departments grid: Department, Net, GP% first; its totals row is under the same columns."""
    page = screens["parts", WIDE]
    heads = page.evaluate("() => Array.from(document.querySelectorAll('#grid-departments thead th'))"
                          ".map(c => c.textContent)")
    assert heads[:3] == ["Department", "Net", "GP%"]
    assert heads.index("Gross") > 3 and len(heads) == 11
    net = page.evaluate("() => Array.from(document.querySelectorAll('#grid-departments tbody tr'))"
                        ".map(r => Number(r.cells[1].textContent.replace(/,/g, '')))")
    foot = page.evaluate("() => Array.from(document.querySelector('#grid-departments tfoot tr').cells)"
                         ".map(c => c.textContent)")
    assert foot[0] == "Total" and float(foot[1].replace(",", "")) == pytest.approx(sum(net), abs=0.011)
    assert len(foot) == len(heads)


@needs_browser
def test_a_wide_grid_scrolls_under_its_first_column(screens):
    """At 390 px the departments grid scrolls in its own box: its first column stays where it is, the others move,
    and the first cells keep an opaque background (header, rows, totals, loss rows)."""
    page = screens["parts", PHONE]
    box = "document.querySelector('#grid-departments').closest('.as-wide')"
    assert page.evaluate(f"() => {{ const b = {box}; return b.scrollWidth > b.clientWidth; }}")
    before = (_box(page, "#grid-departments tbody tr:first-child td", 0),
              _box(page, "#grid-departments tbody tr:first-child td", 4))
    page.evaluate(f"() => {{ {box}.scrollLeft = 150; }}")
    page.wait_for_timeout(50)
    after = (_box(page, "#grid-departments tbody tr:first-child td", 0),
             _box(page, "#grid-departments tbody tr:first-child td", 4))
    assert after[0]["left"] == pytest.approx(before[0]["left"], abs=0.5)
    assert after[1]["left"] == pytest.approx(before[1]["left"] - 150, abs=0.5)
    page.evaluate(f"() => {{ {box}.scrollLeft = 0; }}")
    for selector in ("#grid-departments thead th", "#grid-departments tbody td", "#grid-departments tfoot td",
                     "#table-documents tbody tr:nth-child(2) td", "#table-documents tr.as-loss td",
                     "#table-documents tr.as-credit td"):
        colour = page.evaluate("s => getComputedStyle(document.querySelector(s)).backgroundColor", selector)
        assert colour not in ("transparent", "rgba(0, 0, 0, 0)"), selector
        assert page.evaluate("s => getComputedStyle(document.querySelector(s)).position", selector) == "sticky"


@needs_browser
def test_the_scroll_cue_shows_while_a_table_is_wider_than_its_box(screens):
    """The cue (a line above the table and a faded right edge) shows at 390 px, goes once the last column is in
    view, is absent at 1400 px where the grid fits, and follows a resize."""
    cue = """() => { const b = document.querySelector('#grid-departments').closest('.as-wide');
        const hint = b.previousElementSibling;
        return {hint: hint.classList.contains('as-scroll-hint') && hint.offsetParent !== null,
                text: hint.textContent, fits: b.scrollWidth <= b.clientWidth,
                over: b.classList.contains('as-overflow'), end: b.classList.contains('as-at-end'),
                mask: getComputedStyle(b).maskImage || getComputedStyle(b).webkitMaskImage}; }"""
    phone = screens["parts", PHONE]
    seen = phone.evaluate(cue)
    assert seen["hint"] and "scroll" in seen["text"] and seen["over"] and not seen["end"]
    assert "gradient" in seen["mask"]
    phone.evaluate("() => { const b = document.querySelector('#grid-departments').closest('.as-wide');"
                   " b.scrollLeft = b.scrollWidth; }")
    phone.wait_for_timeout(50)
    assert phone.evaluate(cue)["end"] and phone.evaluate(cue)["mask"] in ("none", "", None)
    phone.evaluate("() => { document.querySelector('#grid-departments').closest('.as-wide').scrollLeft = 0; }")

    wide = screens["parts", WIDE]
    seen = wide.evaluate(cue)
    assert seen["fits"] and not seen["hint"] and not seen["over"]
    try:
        wide.set_viewport_size({"width": PHONE, "height": 844})
        wide.wait_for_function("() => { const b = document.querySelector('#grid-departments').closest('.as-wide');"
                               " return b.classList.contains('as-overflow'); }", timeout=5000)
        assert wide.evaluate(cue)["hint"]
    finally:
        wide.set_viewport_size({"width": WIDE, "height": 900})
    wide.wait_for_function("() => !document.querySelector('#grid-departments').closest('.as-wide')"
                           ".classList.contains('as-overflow')", timeout=5000)


@needs_browser
def test_the_cue_and_the_sticky_column_are_not_printed(screens):
    """Printed, no cue shows and the first column is an ordinary column (the print rules stay as they were)."""
    page = screens["parts", PHONE]
    page.emulate_media(media="print")
    try:
        assert page.evaluate("() => Array.from(document.querySelectorAll('.as-scroll-hint'))"
                             ".every(h => getComputedStyle(h).display === 'none')")
        assert page.evaluate("() => getComputedStyle(document.querySelector('#grid-departments td')).position") \
            == "static"
        assert page.evaluate("() => getComputedStyle(document.querySelector('.as-bar')).display") == "none"
    finally:
        page.emulate_media(media="screen")


@needs_browser
def test_screenshots_of_the_landing_and_parts_pages_at_both_widths(screens):
    """The screenshots a person looks at are written into the test's own folder, never into outputs/."""
    shots = screens["shots"]
    assert sorted(p.name for p in shots.iterdir()) == ["index-1400.png", "index-390.png", "parts-1400.png",
                                                       "parts-390.png"]
    assert "outputs" not in shots.parts


def test_pages_show_owners_by_name_and_counts_whole_the_csvs_keep_codes(pack):
    """Accounts: the owner column reads "R1 · Rita Rep" (sales_reps), the CSV keeps "R1". Operations: the
    repair orders of March 2024 (12 invoiced jobs, W0–W11) against March 2023 (one, WP) read 12, 1, 11."""
    page = (pack / "accounts.html").read_text(encoding="utf-8")
    assert "<td>R1 · Rita Rep</td>" in page and "<td>R2 · Rob Rep</td>" in page
    with (pack / "tables" / "accounts" / "accounts.csv").open(encoding="utf-8", newline="") as f:
        assert {row["owner"] for row in csv.DictReader(f)} <= {"R1", "R2", ""}
    operations = (pack / "operations.html").read_text(encoding="utf-8")
    assert "<tr><td>ROs (repair orders)</td><td>12</td><td>1</td><td>11</td><td>1,100.0</td></tr>" in operations
    assert "source screen" not in (pack / "workshop.html").read_text(encoding="utf-8")
