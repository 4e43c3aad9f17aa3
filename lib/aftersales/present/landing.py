"""The landing page (SPEC §5): what the dealer principal opens first.

The landing page is what the dealer principal opens first. Its first screen answers "are we on
track this month?" (SPEC §6.4): one row per pacing measure with the month to date, the target
to date, the pace % with an ahead / behind mark (a word and a symbol beside the colour), a small
bullet bar, the projected month-end against the budget and against last year, and the working
days elapsed of the month's total (`pacing_view`). Then the dealer, the period, the headline
tiles each report recorded (`ctx.record(tiles=[...])` → `<run>/summaries/<report>.json`), the
alerts, a data-quality summary and a link to each report with its status; a failed report shows
its reason instead of a link. Every page is one self-contained file that reads on a phone.
"""

from __future__ import annotations

import functools
import logging
import math
from pathlib import Path

import jinja2
import pandas as pd

from aftersales.config import ALERT_COLUMNS, TEMPLATE_DIR
from aftersales.present.fmt import change_class, tile_text
from aftersales.present.page import static_text
from aftersales.reports.grids import Grid
from aftersales.reports.pacing import AHEAD, BEHIND, MEASURE_LABELS, MEASURES, pacing_status
from aftersales.reports.periods import Period

#: The report pages' titles on the landing page.
TITLES = {"parts": "Parts", "labour": "Labour", "workshop": "Workshop", "accounts": "Accounts",
          "sales": "Sales performance", "operations": "Fixed operations"}
#: Order of the headline tiles on the landing page: parts net, labour net, the accounts'
#: sales and total GP%, workshop productivity, fixed operations (ELR, absorption, WIP value), sales attainment.
TILE_ORDER = ("parts", "labour", "accounts", "workshop", "operations", "sales")
#: The tile a report puts on the landing page, shown empty when the report failed.
EXPECTED_TILES = {
    "parts": "Parts net sales", "labour": "Labour net sales", "accounts": "GP% (parts + labour)",
    "workshop": "Workshop productivity (Pro%)", "sales": "Team sales attainment %",
    "operations": "ELR (effective labour rate)",
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


def _alerts_table(alerts: list[dict], owner_names: dict[str, str] | None = None) -> tuple[str, list[dict]]:
    """The alerts as one sortable, searchable grid, and a count per rule; an owner shows as
    "code · name" when `owner_names` names the rep (alerts.csv keeps the code)."""
    from aftersales.present import tables as present
    from aftersales.reports.alerts import RULE_TITLES

    if not alerts:
        return "", []
    frame = pd.DataFrame(alerts, columns=list(ALERT_COLUMNS))
    for column in ("value", "threshold"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    names = owner_names or {}
    frame["owner"] = [f"{o} · {names[o]}" if isinstance(o, str) and names.get(o) else o for o in frame["owner"]]
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


@functools.cache
def _environment() -> jinja2.Environment:
    """The landing page's template environment, made once: it keeps the compiled template, which a
    run of 31 packs would otherwise compile 31 times (~0.1 s each)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True)
    env.filters["num"] = lambda v: "" if v is None else f"{int(v):,}"
    return env


def landing_page(*, period: Period, dealer: str, reports: list[dict], alerts: list[dict], summaries: dict,
                 thresholds: dict | None = None, workbook: dict | None = None,
                 pacing: Grid | pd.DataFrame | None = None, scope: dict | None = None, league: Grid | None = None,
                 missing_branches: dict | None = None, branch_packs: list[dict] | None = None,
                 owner_names: dict[str, str] | None = None) -> str:
    """The landing page's HTML (every value escaped; the tables come escaped from present); the
    same run gives the same page, so it holds no clock times or durations. `pacing` is the scope's
    pacing grid (or its rows), shown first; without it the page has no pacing section. A group's page
    shows its Branches grid (`league`) second (`league_view`), linking each branch to its pack in
    `branch_packs` (code, href, alerts), and the branch codes missing from `branches` in data quality;
    a branch's page (`scope`) names its branch and links back to the group's page when there is one."""
    from markupsafe import Markup

    env = _environment()
    css, js = static_text(".css"), static_text(".js")
    names = [r["name"] for r in reports]
    table, rules = _alerts_table(alerts, owner_names)
    ok = [r for r in reports if r["status"] == "ok"]
    return env.get_template("index.html.j2").render(
        dealer=dealer, period=period, reports=reports, alerts=alerts, alerts_table=Markup(table), rules=rules,
        thresholds=thresholds or {}, quality=_quality(summaries, names), tiles=landing_tiles(summaries, names),
        css=Markup(css), js=Markup(js), workbook=workbook or {}, ok=len(ok),
        has_accounts="accounts" in names, pacing=pacing_view(pacing, period) if pacing is not None else None,
        scope=scope or {}, league=league_view(league, branch_packs or []) if league is not None else None,
        missing_branches=_missing_rows(missing_branches or {}),
    )


# ---------------------------------------------------------------- pacing: the first screen

#: The pace mark: a symbol and a word beside the colour, never the colour alone.
PACE_MARKS = {AHEAD: "▲ ahead", BEHIND: "▼ behind"}


def pacing_view(pacing: Grid | pd.DataFrame, period: Period) -> dict:
    """What the pacing section shows: the month, the working days elapsed of the month's total, one
    row per measure (in the order of `pacing.MEASURES`) with its figures as text, its ahead / behind
    mark and its bullet bar, and which measures have no budget."""
    rows = pacing.rows if isinstance(pacing, Grid) else pacing
    records = {r["measure"]: r for r in rows.to_dict("records")}
    ordered = [records[m] for m in MEASURES if m in records] + [r for m, r in records.items() if m not in MEASURES]
    first = ordered[0] if ordered else {}
    unbudgeted = [MEASURE_LABELS.get(r["measure"], r["measure"]) for r in ordered if _empty(r["budget"])]
    return {
        "month": period.end.strftime("%B %Y"),
        "through": min(period.end, period.as_of),
        "elapsed": int(first.get("elapsed_days", 0)),
        "total": int(first.get("total_days", 0)),
        "rows": [_pacing_row(r) for r in ordered],
        "no_budget": bool(ordered) and len(unbudgeted) == len(ordered),
        "unbudgeted": unbudgeted if len(unbudgeted) < len(ordered) else [],
    }


def _pacing_row(r: dict) -> dict:
    hours = r["measure"] == "hours_sold"
    amount = _hours_text if hours else _money_text
    status = pacing_status(r)
    has_budget = not _empty(r["budget"])
    mark = PACE_MARKS.get(status) or ("no budget" if not has_budget else "budget 0" if r["budget"] == 0
                                      else "no pace yet")
    bar = _bullet(r, has_budget)
    vs_ly = r["projected_vs_last_year_pct"]
    return {
        "measure": r["measure"], "label": MEASURE_LABELS.get(r["measure"], r["measure"]),
        "status": status.replace(" ", "-") if status else "none", "mark": mark,
        "mtd": amount(r["mtd"]), "target": amount(r["target_to_date"]), "pace": _pct_text(r["pace_pct"]),
        "projected": amount(r["projected"]), "budget": amount(r["budget"]),
        "vs_budget": _pct_text(r["projected_vs_budget_pct"]), "last_year": amount(r["last_year"]),
        "vs_last_year": _change_text(vs_ly),
        "ly_class": change_class(None if _empty(vs_ly) else vs_ly),
        "bar": bar, "bar_label": _bar_label(r, amount, has_budget),
    }


def _bullet(r: dict, has_budget: bool) -> dict:
    """The bullet bar's widths and ticks, in % of its length: the largest of MTD, projected and budget
    (last year in place of the budget when there is none); nothing below 0 is drawn."""
    ticks = {"target": r["target_to_date"], "budget": r["budget"]} if has_budget else {"last_year": r["last_year"]}
    values = [v for v in (r["mtd"], r["projected"], *ticks.values()) if not _empty(v)]
    scale = max([0.0, *values])

    def at(value) -> float | None:
        if _empty(value) or scale <= 0:
            return None
        return round(min(max(float(value) / scale * 100, 0.0), 100.0), 1)

    return {"mtd": at(r["mtd"]) or 0.0, "projected": at(r["projected"]) or 0.0,
            "ticks": {name: at(v) for name, v in ticks.items() if at(v) is not None}}


def _bar_label(r: dict, amount, has_budget: bool) -> str:
    text = f"Month to date {amount(r['mtd'])}"
    if has_budget:
        text += f" against a target to date of {amount(r['target_to_date'])}"
    text += f"; projected month-end {amount(r['projected'])}"
    text += f" of a budget of {amount(r['budget'])}" if has_budget else f"; last year {amount(r['last_year'])}"
    return text


def _empty(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _number(value: float, decimals: int) -> str:
    text = f"{float(value):,.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text  # no "-0"


def _money_text(value) -> str:
    """Money on the first screen: whole units (the CSV and the spreadsheet keep the cents)."""
    return "–" if _empty(value) else _number(value, 0)


def _hours_text(value) -> str:
    return "–" if _empty(value) else _number(value, 1) + " h"


def _change_text(value) -> str:
    """A change in %: signed, with an up or down arrow beside the colour."""
    if _empty(value):
        return "–"
    text = _pct_text(value, signed=True)
    return ("▲ " if text.startswith("+") else "▼ " if text.startswith("-") else "") + text


def _pct_text(value, signed: bool = False) -> str:
    if _empty(value):
        return "–"
    text = _number(value, 1)
    return ("+" + text if signed and not text.startswith("-") and text.strip("0.,") else text) + "%"


# ---------------------------------------------------------------- branches: the second screen of a group

#: The quartile mark: a symbol and a word beside the colour, never the colour alone.
QUARTILE_MARKS = {"top": "▲ top quartile", "bottom": "▼ bottom quartile"}
#: Branches listed under "branches with the most alerts".
MOST_ALERTS = 5


def league_view(grid: Grid, branch_packs: list[dict]) -> dict | None:
    """What the Branches section shows: the league (rows by rank) with every figure as text, its
    quartile mark, its bar (sales as % of the largest branch's), its link to its pack when one was
    made, the group's totals row, the branches with the most alerts (from their packs), and the packs of
    the branches the league has no row for (no line in the period or the prior period: SPEC §6.2 ranks
    only those with one, §6.6 links every pack). None for a source that is one branch (no branch code
    on its lines), and for a run without branch packs whose league is empty."""
    from aftersales.reports.group import league, quartiles

    rows = grid.rows
    if (rows.empty and not branch_packs) or (len(rows) == 1 and rows["branch"].iloc[0] == ""):
        return None
    ranked_codes = set(rows["branch"])
    unranked = [{"branch": p["branch"], "name": p.get("name") or "", "href": p.get("href")}
                for p in sorted(branch_packs, key=lambda p: p["branch"]) if p["branch"] not in ranked_codes]
    if rows.empty:
        return {"rows": [], "total": {}, "count": 0, "quartiles": False, "most_alerts": [],
                "packs": True, "unranked": unranked}
    ranked = league(grid)
    bands = quartiles(ranked)
    packs = {p["branch"]: p for p in branch_packs}
    top = max([0.0, *(float(v) for v in ranked.rows["sales"] if not _empty(v))])
    out_rows = []
    for i, r in enumerate(ranked.rows.to_dict("records")):
        sales = 0.0 if _empty(r["sales"]) else float(r["sales"])
        out_rows.append({**_league_texts(r), "rank": int(r["rank"]), "branch": r["branch"], "name": r["name"] or "",
                         "region": r["region"] or "", "href": packs.get(r["branch"], {}).get("href"),
                         "band": bands.iloc[i] or "none", "mark": QUARTILE_MARKS.get(bands.iloc[i], ""),
                         "bar": round(max(sales, 0.0) / top * 100, 1) if top > 0 else 0.0})
    total = _league_texts(ranked.total.iloc[0].to_dict()) if ranked.total is not None and len(ranked.total) else {}
    if total:
        total["unsummed"] = _unsummed(ranked)
    alerted = sorted((p for p in branch_packs if p.get("alerts")), key=lambda p: (-p["alerts"], p["branch"]))
    return {"rows": out_rows, "total": total, "count": len(out_rows), "quartiles": bool((bands != "").any()),
            "most_alerts": [{"branch": p["branch"], "name": p.get("name") or "", "href": p.get("href"),
                             "alerts": int(p["alerts"])} for p in alerted[:MOST_ALERTS]],
            "packs": bool(packs), "unranked": unranked}


#: The totals row's columns that may hold more than the ranked branches' rows, and what else they count.
UNSUMMED = {"attended": "Attended also counts the clockings of branches without a ranked row",
            "overheads": "Overheads also count those written to no branch or to a branch without a ranked row"}


#: How far the totals row may be from the sum of the rows and still equal it: each row and the total are
#: rounded to 6 decimals on their own (a prorated overhead never ends), so 30 rows may sum 0.00002 away.
SUMS_AGREE = 0.005


def _unsummed(ranked: Grid) -> str:
    """What the group's totals row counts beyond the sum of the ranked rows (SPEC §6.2: the totals row is
    the group's own figures), as a sentence; '' when every such column equals the sum of the rows."""
    total = ranked.total.iloc[0]
    said = []
    for column, words in UNSUMMED.items():
        mine = pd.to_numeric(total.get(column), errors="coerce")
        rows = pd.to_numeric(ranked.rows[column], errors="coerce").sum()  # an empty cell adds nothing
        if abs((0.0 if pd.isna(mine) else float(mine)) - float(rows)) > SUMS_AGREE:
            said.append(words)
    return "; ".join(said)


def _league_texts(r: dict) -> dict:
    """One league row's (or the totals row's) figures as text."""
    money = {k: _money_text(r.get(k)) for k in ("parts_net", "parts_profit", "labour_net", "labour_profit", "sales",
                                                  "sales_prior", "overheads")}
    hours = {k: _hours_text(r.get(k)) for k in ("hours_sold", "attended")}
    pcts = {k: _pct_text(r.get(k)) for k in ("parts_gp_pct", "labour_gp_pct", "pro_pct", "absorption_pct")}
    growth = r.get("growth_pct")
    return {**money, **hours, **pcts, "growth": _change_text(growth),
            "growth_class": change_class(None if _empty(growth) else growth)}


def _missing_rows(missing: dict) -> list[dict]:
    """The branch codes on lines missing from `branches`, with their rows per table."""
    return [{"branch": code, "rows": sum(tables.values()),
             "tables": ", ".join(f"{t} {n:,}" for t, n in sorted(tables.items()))} for code, tables in missing.items()]
