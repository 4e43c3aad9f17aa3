"""The landing page's first screen in a real browser: the pacing rows are on it at a phone's and a desk's width.

Headless Chromium (Debian's, as tests/test_browser.py) opens the landing page of one run from disk, with every
request that is not the file itself blocked, at 390 × 844 (a phone) and 1400 × 900 (a desk); the screenshots are
left in the test's temporary folder for a person to look at.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aftersales.cli import main
from browser import ARGS, CHROMIUM, block_outside
from factory import make_source

SCREENS = {"phone": (390, 844), "desk": (1400, 900)}

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                                "(`.ci/run` installs it: apt-get install chromium)")


def _part(document: str, date: str, quantity: float, price: float, cost: float, account: str = "A1") -> dict:
    return {"document": document, "date_edit": date, "quantity": quantity, "selling_price": price,
            "retail_price": price, "cost_price": cost, "account": account,
            "doc_type": "credit" if quantity < 0 else "invoice"}


def _job(document: str, date: str, hours: float, account: str = "A1") -> dict:
    return {"wip_no": f"W{document}", "document": document, "date_created": date, "date_edit": date,
            "allowed_time": hours, "time_taken": hours, "labour_rate": 95, "account": account}


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    """A run of Parts, Labour and Accounts mid-March 2024 with budgets (some measures ahead, some behind, one
    without a budget), large enough figures, a long dealer name and accounts that raise alerts."""
    base = tmp_path_factory.mktemp("landing")
    days = [f"2024-03-{d:02d}" for d in (1, 4, 5, 6, 7, 8, 11, 12, 13, 14)]
    parts = [_part(f"P{i}", day, 3 + i % 4, 412.5, 290, f"A{i % 3 + 1}") for i, day in enumerate(days * 3)]
    parts += [_part("PC", "2024-03-12", -2, 412.5, 290), _part("PY", "2023-03-15", 60, 400, 280)]
    labour = [_job(f"L{i}", day, 6 + i % 5, f"A{i % 3 + 1}") for i, day in enumerate(days * 2)]
    labour += [_job("LY", "2023-03-20", 150)]
    budgets = [{"month": "2024-03", "measure": m, "value": v} for m, v in
               (("parts_net", 120_000), ("parts_profit", 9_000), ("labour_net", 25_000), ("hours_sold", 300))]
    accounts = [{"account": f"A{i}", "name": f"Customer number {i} with a long trading name Ltd", "owner": "R1"}
                for i in (1, 2, 3)]
    folder = make_source(base / "src", parts_lines=parts, labour_lines=labour, budgets=budgets, accounts=accounts,
                         sales_reps=[{"rep": "R1", "name": "Rita Rep"}])
    params = base / "settings.yaml"
    params.write_text('dealer_name: "Northern Commercial Vehicles Group Aftersales"\n'
                      "alerts:\n  large_document: 1000\n  min_sales: 0\n  min_prior_sales: 0\n"
                      "calendar:\n  working_days: [mon, tue, wed, thu, fri, sat]\n  closed: [2024-03-15]\n",
                      encoding="utf-8")
    out = base / "out"
    status = main(["run", "--source", str(folder), "--from", "2024-03-01", "--to", "2024-03-31",
                   "--as-of", "2024-03-16", "--reports", "parts,labour,accounts", "--params", str(params),
                   "--out", str(out), "--jobs", "2"])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert status == 0, {r: s["error"] for r, s in manifest["reports"].items() if s["status"] != "ok"}
    return out / "index.html"


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module", params=list(SCREENS))
def screen(request, chromium, landing, tmp_path_factory):
    """The landing page opened at one screen size; its first screen is kept as a PNG in the test's tmp folder."""
    width, height = SCREENS[request.param]
    context = chromium.new_context(viewport={"width": width, "height": height})
    blocked = block_outside(context)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(landing.as_uri(), wait_until="load")
    shots = tmp_path_factory.mktemp(f"screens-{request.param}")
    page.screenshot(path=str(shots / f"landing-{request.param}.png"))
    page.screenshot(path=str(shots / f"landing-{request.param}-full.png"), full_page=True)
    yield request.param, page, blocked, problems
    context.close()


def test_pacing_rows_are_in_the_first_screen(screen):
    """Every pacing row — name, mark, MTD, target, month-end, vs budget and vs last year — shows without scrolling."""
    name, page, blocked, problems = screen
    assert not blocked and not problems, (blocked, problems)
    boxes = page.evaluate("""() => Array.from(document.querySelectorAll('.as-pace-row')).map(r => {
        const b = r.getBoundingClientRect();
        return {measure: r.dataset.measure, top: b.top, bottom: b.bottom, left: b.left, right: b.right,
                shown: r.offsetParent !== null && b.height > 0};
    })""")
    assert [b["measure"] for b in boxes] == ["parts_net", "parts_profit", "labour_net", "labour_profit", "hours_sold"]
    height, width = page.evaluate("() => [window.innerHeight, window.innerWidth]")
    for box in boxes:
        assert box["shown"], f"{name}: {box['measure']} is hidden"
        assert 0 <= box["top"] and box["bottom"] <= height, f"{name}: {box['measure']} is below the fold: {box}"
        assert 0 <= box["left"] and box["right"] <= width, f"{name}: {box['measure']} is cut at the side: {box}"
    # the figures of each row are visible too, not only its box
    cells = page.evaluate("""() => Array.from(document.querySelectorAll('.as-pace-row > div')).filter(c => {
        const b = c.getBoundingClientRect(); return b.height === 0 || b.bottom > window.innerHeight
            || b.right > window.innerWidth; }).map(c => c.className)""")
    assert cells == [], f"{name}: cells out of the first screen: {cells}"
    assert page.locator("#pacing-title").is_visible()
    assert "of" in page.locator(".as-pace-days").inner_text()


def test_ahead_and_behind_are_words_not_only_colours(screen):
    """Each budgeted row says ahead or behind in words with an arrow; an unbudgeted row says it has no budget."""
    name, page, _, _ = screen
    marks = dict(zip(page.locator(".as-pace-row").evaluate_all("rows => rows.map(r => r.dataset.measure)"),
                     page.locator(".as-pace-row .as-pace-mark").all_inner_texts()))
    assert marks["labour_profit"] == "no budget", name
    assert {marks[m] for m in ("parts_net", "parts_profit", "labour_net", "hours_sold")} == {"▲ ahead", "▼ behind"}


def test_nothing_overflows_sideways(screen):
    """The whole landing page fits the screen's width: no sideways scrolling, at a phone's width either."""
    name, page, _, _ = screen
    scroll, inner = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"{name}: the page is {scroll} px wide in a {inner} px window"
