"""The landing page (SPEC §5): what the dealer principal opens first.

The landing page is what the dealer principal opens first: the dealer, the period, the
headline tiles each report recorded (`ctx.record(tiles=[...])` → `<run>/summaries/<report>.json`),
the alerts, a data-quality summary and a link to each report with its status; a failed
report shows its reason instead of a link. Every page is one self-contained file.
"""

from __future__ import annotations

import logging
from pathlib import Path

import jinja2
import pandas as pd

from aftersales.config import ALERT_COLUMNS, STATIC_DIR, TEMPLATE_DIR
from aftersales.present.fmt import change_class, tile_text
from aftersales.reports.periods import Period

#: The report pages' titles on the landing page.
TITLES = {"parts": "Parts", "labour": "Labour", "workshop": "Workshop", "accounts": "Accounts",
          "sales": "Sales performance"}
#: Order of the headline tiles on the landing page: parts net, labour net, the accounts'
#: sales and total GP%, workshop productivity, sales attainment.
TILE_ORDER = ("parts", "labour", "accounts", "workshop", "sales")
#: The tile a report puts on the landing page, shown empty when the report failed.
EXPECTED_TILES = {
    "parts": "Parts net sales", "labour": "Labour net sales", "accounts": "GP% (parts + labour)",
    "workshop": "Workshop productivity (Pro%)", "sales": "Team sales attainment %",
}

log = logging.getLogger(__name__)


def report_list(run: Path, reports, statuses: dict) -> list[dict]:
    """Each report of the run: status, reason when failed, duration, page size and link."""
    rows = []
    for report in reports:
        status = statuses.get(report, {"status": "failed", "error": "not run"})
        page = run / f"{report}.html"
        rows.append({
            "name": report, "title": TITLES.get(report, report.capitalize()), "status": status["status"],
            "error": status.get("error"), "seconds": status.get("seconds"), "cpu_seconds": status.get("cpu_seconds"),
            "html_bytes": status.get("html_bytes"), "kernel_peak_mb": status.get("kernel_peak_mb"),
            "href": f"{report}.html" if page.exists() else None,
            "size": size_text(page.stat().st_size) if page.exists() else "",
        })
    return rows


def size_text(n: int | None) -> str:
    if n is None:
        return ""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    return f"{max(1, round(n / 1000))} kB"


def landing_tiles(summaries: dict[str, dict], reports=None, statuses: dict | None = None) -> list[dict]:
    """Headline tiles of the landing page from what each report recorded; a report of the run
    that recorded none (it failed) keeps its place with an empty tile saying so."""
    order = {r: i for i, r in enumerate(TILE_ORDER)}
    names = list(reports) if reports is not None else list(summaries)
    tiles = []
    for report in sorted(names, key=lambda r: order.get(r, len(order))):
        recorded = summaries.get(report, {}).get("tiles")
        if not recorded:
            if report in EXPECTED_TILES and report not in summaries:
                tiles.append({"label": EXPECTED_TILES[report], "report": report, "text": "–", "failed": True,
                              "change_text": "report failed: see Reports below", "change_class": ""})
            continue
        for tile in recorded:
            tiles.append({**tile, "report": report, "text": tile_text(tile),
                          "change_class": change_class(tile.get("change"))})
    return tiles


def _alerts_table(alerts: list[dict]) -> tuple[str, list[dict]]:
    """The alerts as one sortable, searchable grid, and a count per rule."""
    from aftersales.present import tables as present
    from aftersales.reports.alerts import RULE_TITLES

    if not alerts:
        return "", []
    frame = pd.DataFrame(alerts, columns=list(ALERT_COLUMNS))
    for column in ("value", "threshold"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    counts = frame["rule"].value_counts()
    rules = [{"rule": rule, "title": RULE_TITLES.get(rule, rule), "count": int(n)} for rule, n in counts.items()]
    shown, note = present.on_page(frame)
    table = present.table_html(shown, columns=["rule", "account", "name", "owner", "value", "threshold", "message"],
                               table_id="grid-alerts")
    return note + table, rules


def _quality(summaries: dict[str, dict], reports) -> list[dict]:
    """Per report: rows read, used and set aside, and the checks that found rows."""
    out = []
    for report in reports:
        s = summaries.get(report)
        if s is None:
            continue
        rows = s.get("rows") or {}
        checks = s.get("quality") or []
        found = [q for q in checks if q.get("rows")]
        out.append({"report": report, "title": TITLES.get(report, report.capitalize()),
                    "read": rows.get("read"), "used": rows.get("used"), "set_aside": rows.get("set_aside"),
                    "found": found, "clean": len(checks) - len(found)})
    return out


def landing_page(*, period: Period, dealer: str, reports: list[dict], alerts: list[dict], summaries: dict,
                 thresholds: dict | None = None, workbook: dict | None = None) -> str:
    """The landing page's HTML (every value escaped; the tables come escaped from present); the
    same run gives the same page, so it holds no clock times or durations."""
    from markupsafe import Markup

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True)
    env.filters["num"] = lambda v: "" if v is None else f"{int(v):,}"
    css = (STATIC_DIR / "pack.css").read_text(encoding="utf-8")
    js = (STATIC_DIR / "grid.js").read_text(encoding="utf-8")
    names = [r["name"] for r in reports]
    table, rules = _alerts_table(alerts)
    ok = [r for r in reports if r["status"] == "ok"]
    return env.get_template("index.html.j2").render(
        dealer=dealer, period=period, reports=reports, alerts=alerts, alerts_table=Markup(table), rules=rules,
        thresholds=thresholds or {}, quality=_quality(summaries, names), tiles=landing_tiles(summaries, names),
        css=Markup(css), js=Markup(js), workbook=workbook or {}, ok=len(ok),
        has_accounts="accounts" in names,
    )
