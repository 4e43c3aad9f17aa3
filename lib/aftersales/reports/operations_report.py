"""The Fixed operations report (SPEC §6.5) as a notebook and a run use it: `build(ctx)` computes
every section for the context's period and scope, saves `tables/operations/summary.csv`,
`pay_types.csv`, `wip.csv` and `stock_ageing.csv` (data rows only), counts the data quality and
records the landing page's tiles (ELR, absorption %, WIP value).

The figures themselves are the pure functions of `reports.operations` and `reports.stock`; this
module only puts them together, adds the prior-year change and the page-only lists (open jobs,
obsolete parts), and says which table would fill a section the source cannot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from aftersales.reports import operations as op
from aftersales.reports import stock as stock_figures
from aftersales.reports.formulas import INVOICED
from aftersales.reports.grids import Grid, Lines, capped, query, sql_date
from aftersales.reports.quality import DataQuality

#: The optional tables of the report, in the order their sections come.
OPTIONAL_TABLES = ("parts_stock", "overheads")
#: The age buckets of work in progress in words, for the page (the CSV keeps the codes).
WIP_LABELS = {"d0_7": "0–7 days", "d8_30": "8–30 days", "d31_60": "31–60 days", "d61_90": "61–90 days",
              "d90_plus": "91 days and over"}
#: The stock age buckets in words, for the page (their days are in the KPI dictionary's "Stock age").
STOCK_LABELS = {"m0_3": "0–3 months", "m3_6": "3–6 months", "m6_9": "6–9 months", "m9_12": "9–12 months",
                "m12_plus": "over 12 months"}
#: The obsolete parts the Stock section lists: the most valuable with no sale in 12 months.
OBSOLETE_TOP = 20
#: The columns of the Absorption table (one row, the scope's).
ABSORPTION_COLUMNS = ("scope", "gross_profit", "overheads", "absorption_pct", "target_pct")

#: The KPI dictionary of the page: every formula of SPEC §6.5, and the target the gauge is drawn against.
KPIS = {
    **op.KPIS,
    "Absorption target": "the absorption % the gauge is drawn against: the setting "
    "operations.absorption_target (default 100 %: aftersales gross profit pays all the fixed overhead)",
}


@dataclass
class OperationsReport:
    """Every section of the Fixed operations report.

    `grids` are the CSV tables (summary, pay_types, wip, and stock_ageing with a parts_stock table);
    `shown` the WIP and stock grids with their buckets in words; `change` the Repair-orders figures
    against the prior year; `missing` table → what it would fill, for the tables the source lacks.
    """

    grids: dict[str, Grid]
    shown: dict[str, Grid]
    change: pd.DataFrame
    open_jobs: pd.DataFrame
    obsolete: pd.DataFrame
    absorption: pd.DataFrame
    quality: DataQuality
    headline: dict
    missing: dict[str, str] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)

    def lacks(self, *tables: str) -> str:
        """What data would fill a section needing `tables` (those the source lacks), or ""."""
        return " ".join(self.missing[t] for t in tables if t in self.missing)

    def absorption_gap(self) -> str:
        """Why the absorption gauge cannot be drawn (no overheads table, no overhead row for the
        period's months, overheads of 0), or "" when it can."""
        if "overheads" in self.missing:
            return self.missing["overheads"]
        overheads = self.headline["overheads"]
        if math.isnan(overheads):
            return ("No overheads row covers the months of the period: overheads and absorption are empty "
                    "(not 0).")
        if math.isnan(self.headline["absorption_pct"]):
            return "The overheads of the period are 0: absorption % is empty."
        return ""


def build(ctx) -> OperationsReport:
    """The Fixed operations report for the context's period and scope, saved as CSV when a run asks.

    Every sum and count runs in the engine; the open-jobs list brings at most `report.page_rows`
    rows, the obsolete parts OBSOLETE_TOP and each data-quality list `report.drilldown_rows`.
    """
    period = ctx.period
    t = period.last  # = min(to, as_of): work in progress is taken at t
    parts, labour = ctx.table("parts_lines"), ctx.table("labour_lines")
    overheads, stock = ctx.table("overheads"), ctx.table("parts_stock")
    missing = {name: op.MISSING[name] for name in OPTIONAL_TABLES if not ctx.has(name)}
    summary = op.summary(parts, labour, overheads, stock, period)
    change = op.repair_orders_change(summary, op.summary(parts, labour, None, None, period.prior()))
    wip, jobs = op.work_in_progress(labour, t, limit=int(ctx.params["report"]["page_rows"]))
    grids = {"summary": summary, "pay_types": op.pay_types(parts, labour, period), "wip": wip}
    if stock is not None:
        grids["stock_ageing"] = stock_figures.stock_ageing(stock, period.as_of)
    notes: dict[str, list[str]] = {"summary": list(summary.notes), "pay_types": [], "wip": [], "stock": []}
    quality, rows, pay_typed = data_quality(ctx, stock, missing)
    if not pay_typed:
        notes["pay_types"].append("No line of the period carries a pay type: every line counts as customer. "
                                  + op.MISSING["pay_type"])

    if jobs.attrs["rows"] > len(jobs):
        notes["wip"].append(f"The {len(jobs):,} oldest of {jobs.attrs['rows']:,} open jobs are listed; every "
                            "job counts in the buckets above.")
    if stock is not None:
        obsolete = _without_empty_branch(stock_figures.obsolete_parts(stock, period.as_of, OBSOLETE_TOP))
        notes["stock"].append(_obsolete_title(len(obsolete), obsolete.attrs["rows"]))
    else:
        obsolete = pd.DataFrame()

    head = headline(summary, change, grids["wip"], float(ctx.params["operations"]["absorption_target"]))
    absorption = pd.DataFrame([{"scope": ctx.scope.label, "gross_profit": head["gross_profit"],
                                "overheads": head["overheads"], "absorption_pct": head["absorption_pct"],
                                "target_pct": head["absorption_target"]}], columns=list(ABSORPTION_COLUMNS))

    ctx.save_all(grids)
    ctx.record(headline=head, tiles=tiles(head)[:3], rows=rows, quality=quality.checks)
    shown = {"wip": _in_words(grids["wip"], WIP_LABELS),
             "stock_ageing": _in_words(grids["stock_ageing"], STOCK_LABELS) if stock is not None
             else Grid("stock_ageing", pd.DataFrame(columns=["bucket", *stock_figures.COLUMNS]), None, ("bucket",))}
    return OperationsReport(grids, shown, _change_in_words(change), jobs, obsolete, absorption, quality, head,
                            missing, notes)


def headline(summary: Grid, change: pd.DataFrame, wip: Grid, absorption_target: float) -> dict:
    """The report's headline figures: the summary row, each Repair-orders figure's prior-year value
    (`<figure>_prior`), work in progress (value, jobs, hours, and the value of jobs over 90 days)
    and the absorption target."""
    head: dict = {name: float(value) for name, value in summary.rows.iloc[0].items()}
    head["ros"] = int(summary.rows["ros"].iloc[0])
    for record in change.to_dict("records"):
        head[f"{record['figure']}_prior"] = float(record["prior"])
    total = wip.total.iloc[0]
    head.update({"wip_value": float(total["value"]), "wip_jobs": int(total["jobs"]),
                 "wip_hours": float(total["hours"]),
                 "wip_value_over_90": float(wip.rows.loc[wip.rows["bucket"] == "d90_plus", "value"].iloc[0]),
                 "absorption_target": float(absorption_target)})
    return head


def _difference(value: float, before: float) -> float:
    return math.nan if math.isnan(value) or math.isnan(before) else value - before


def tiles(head: dict) -> list[dict]:
    """The headline tiles; the first three (ELR, absorption %, WIP value) go on the landing page."""
    elr_change = _difference(head["elr"], head["elr_prior"])
    absorption, target = head["absorption_pct"], head["absorption_target"]
    against = _difference(absorption, target)
    ros_change = head["ros"] - head["ros_prior"]
    return [
        {"label": "ELR (effective labour rate)", "value": head["elr"], "kind": "money", "change": elr_change,
         "change_text": "" if math.isnan(elr_change) else f"{elr_change:+,.2f} per hour vs prior year"},
        {"label": "Absorption %", "value": absorption, "kind": "ratio", "change": against,
         "change_text": (f"{against:+.1f} pts vs target {target:g} %" if not math.isnan(against)
                         else "needs overheads for the period" if math.isnan(head["overheads"]) else "")},
        {"label": "WIP value", "value": head["wip_value"], "kind": "money",
         "change_text": f"{head['wip_jobs']:,} open jobs · {head['wip_value_over_90']:,.2f} over 90 days"},
        {"label": "Repair orders", "value": head["ros"], "kind": "count", "change": ros_change,
         "change_text": f"{ros_change:+,.0f} vs prior year"},
        {"label": "Hours per RO", "value": head["hours_per_ro"], "kind": "hours"},
        {"label": "Gross profit", "value": head["gross_profit"], "kind": "money"},
    ]


def stock_tiles(head: dict) -> list[dict]:
    """The Stock section's tiles: stock value, turns, days supply, obsolescence %, cost of sales."""
    return [
        {"label": "Stock value", "value": head["stock_value"], "kind": "money"},
        {"label": "Turns (a year)", "value": head["turns"], "kind": "factor"},
        {"label": "Days supply", "value": head["days_supply"], "kind": "ratio"},
        {"label": "Obsolescence %", "value": head["obsolescence_pct"], "kind": "ratio",
         "change_text": "value with no sale in 12 months"},
        {"label": "Cost of sales 12 months", "value": head["cost_of_sales_12m"], "kind": "money"},
    ]


def target_lines(head: dict) -> dict[str, float]:
    """The target line of the absorption gauge."""
    return {"Absorption": head["absorption_target"]}


def _obsolete_title(listed: int, rows: int) -> str:
    if rows > listed:
        return (f"The {listed:,} most valuable of {rows:,} parts on hand with no sale in 12 months "
                "(every one counts in the over-12-months bucket)")
    return f"The {rows:,} part{'' if rows == 1 else 's'} on hand with no sale in 12 months, most valuable first"


def _in_words(grid: Grid, labels: dict[str, str]) -> Grid:
    rows = grid.rows.assign(bucket=grid.rows["bucket"].map(labels))
    return Grid(grid.name, rows, grid.total, grid.key, list(grid.notes))


def _change_in_words(change: pd.DataFrame) -> pd.DataFrame:
    """The Repair-orders change for the page: each figure in words, with the unit its value, prior
    and change are shown in (`shown_as`: ROs a whole count, hours and money with 2 decimals)."""
    names = op.KPI_OF["summary"]
    return change.assign(shown_as=change["figure"].map(op.FIGURE_UNITS),
                         figure=change["figure"].map(lambda f: names.get(f, f)))


# ---------------------------------------------------------------- data quality


def _without_empty_branch(frame: pd.DataFrame) -> pd.DataFrame:
    """A list of stock rows without its branch column when no row names a branch (a one-branch source)."""
    if "branch" in frame and frame["branch"].isna().all():
        rows = frame.attrs.get("rows")
        frame = frame.drop(columns="branch")
        if rows is not None:
            frame.attrs["rows"] = rows
    return frame


def data_quality(ctx, stock: Lines | None,
                 missing: dict[str, str]) -> tuple[DataQuality, dict[str, int], bool]:
    """The checks of the data-quality section, the rows read, used and set aside, and whether a
    line of the period carries a pay type."""
    limit = int(ctx.params["report"]["drilldown_rows"])
    quality = DataQuality()
    empty_pay = "COALESCE(pay_type, '') = ''"
    parts = query(ctx.lines("parts_lines"), f"SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE {empty_pay}) AS no_pay, "
                                            "COUNT(*) FILTER (WHERE COALESCE(wip_no, '') <> '') AS workshop "
                                            "FROM lines").iloc[0]
    labour = query(ctx.lines("labour_lines"), (
        f"SELECT COUNT(*) FILTER (WHERE {INVOICED}) AS n, COUNT(*) FILTER (WHERE {INVOICED} AND {empty_pay}) "
        f"AS no_pay, COUNT(*) FILTER (WHERE {INVOICED} AND COALESCE(doc_type, '') = '') AS untyped, "
        f"COUNT(*) FILTER (WHERE NOT ({INVOICED})) AS open FROM lines")).iloc[0]
    parts_n, labour_n = int(parts["n"]), int(labour["n"])
    quality.add("parts lines in the period", parts_n,
                f"all counted (gross profit, pay types); {int(parts['workshop']):,} with a job number are "
                "workshop parts")
    quality.add("invoiced labour lines in the period", labour_n, "all counted (hours sold, labour net, ELR)")
    pay_text = "counted as customer"
    quality.add("parts lines in the period with an empty pay type", int(parts["no_pay"]), pay_text)
    quality.add("invoiced labour lines in the period with an empty pay type", int(labour["no_pay"]), pay_text)
    quality.add("invoiced labour lines without a doc_type", int(labour["untyped"]),
                "counted in hours sold and labour money; they make no repair order (ROs count invoices)")
    quality.add("un-invoiced labour lines edited in the period", int(labour["open"]),
                "not sold: counted in work in progress while open")
    read, set_aside = parts_n + labour_n, 0
    if stock is not None:
        later = f"COALESCE(last_sale_date, last_receipt_date) > {sql_date(ctx.period.as_of)}"
        counts = query(stock, "SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE on_hand_qty > 0 AND last_sale_date IS "
                              "NULL AND last_receipt_date IS NULL) AS undated, COUNT(*) FILTER (WHERE on_hand_qty > 0 "
                              f"AND {later}) AS later FROM lines").iloc[0]
        listed, non_positive = capped(stock, "SELECT branch, part_no, on_hand_qty, unit_cost, last_sale_date, "
                                             "last_receipt_date FROM lines WHERE on_hand_qty <= 0 "
                                             "ORDER BY branch, part_no", limit, stock_figures.non_positive_stock(stock))
        listed = _without_empty_branch(listed)
        quality.add("stock rows (parts_stock)", int(counts["n"]), "read")
        quality.add("stock rows with on_hand_qty ≤ 0", non_positive,
                    "counted nowhere (not in stock value, ageing, turns or obsolescence)", listed)
        quality.add("stock rows on hand with neither a sale nor a receipt date", int(counts["undated"]),
                    "aged over 12 months (obsolete)")
        quality.add("stock rows on hand whose deciding date is after as-of", int(counts["later"]),
                    "aged 0–3 months (a negative age)")
        read, set_aside = read + int(counts["n"]), non_positive
    for table, text in missing.items():
        quality.add(f"the source has no {table} table", 0, text)
    for check in quality.checks:  # a list holds its first rows; the check counts them all
        if check["check"] in quality.details:
            quality.details[check["check"]].attrs["rows"] = check["rows"]
    pay_typed = int(parts["no_pay"]) < parts_n or int(labour["no_pay"]) < labour_n
    return quality, {"read": read, "used": read - set_aside, "set_aside": set_aside}, pay_typed
