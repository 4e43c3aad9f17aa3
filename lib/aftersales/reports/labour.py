"""The Labour report's grids (SPEC §3 "Labour"): pure functions, relations in → grids out.

Only invoiced labour lines (document not empty) count. Every money figure is a line
formula of `formulas.LABOUR_LINE` summed per group; hours sold are `formulas.ALLOWED_HOURS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from aftersales.reports.formulas import ALLOWED_HOURS, INVOICED, LABOUR_LINE, ratio, tidy
from aftersales.reports.grids import (
    SALES_COLUMNS,
    Grid,
    Lines,
    capped,
    document_grid,
    pushes_down,
    query,
    relation,
    sales_figures,
    sales_grid,
    sales_headline,
    sales_sums,
    without_account,
)
from aftersales.reports.parts import listed_documents
from aftersales.reports.quality import DataQuality

#: The four sales grids: CSV name → (source column, output key column).
GRIDS = {
    "activity": ("date_edit", "date"),
    "departments": ("department", "department"),
    "labour_types": ("labour_type", "labour_type"),
    "operators": ("wip_owner", "operator"),
}

#: Columns shown beside a grid (HTML only; the CSV keeps the SPEC's columns).
RATE_COLUMNS = ("hours_sold", "net_per_hour")
#: How those columns are shown (present.display reads it).
DISPLAY = {"money": ("net_per_hour", "labour_rate"),
           # a line's times in the source's units and in hours (the explorer's lines, drill.labour_lines)
           "hours": ("hours_sold", "allowed_units", "taken_units", "allowed_hours", "taken_hours"),
           "labels": {"net_per_hour": "Net per hour", "allowed_units": "Allowed time (units)",
                      "taken_units": "Time taken (units)", "allowed_hours": "Allowed (hours)",
                      "taken_hours": "Taken (hours)", "minutes_per_unit": "Minutes per unit",
                      "contribution_pct": "Contribution %", "labour_rate": "Rate per unit"}}


def invoiced(lines: Lines):
    """The lines that count in the labour grids: those with a document number."""
    return relation(lines).filter(INVOICED)


def activity(lines: Lines) -> Grid:
    """Labour sales per day (date_edit) of invoiced lines."""
    return sales_grid(invoiced(lines), LABOUR_LINE, "date_edit", "date", name="activity")


def departments(lines: Lines) -> Grid:
    return sales_grid(invoiced(lines), LABOUR_LINE, "department", name="departments")


def labour_types(lines: Lines) -> Grid:
    return sales_grid(invoiced(lines), LABOUR_LINE, "labour_type", name="labour_types")


def operators(lines: Lines) -> Grid:
    """Labour sales per job owner (wip_owner, shown and saved as `operator`)."""
    return sales_grid(invoiced(lines), LABOUR_LINE, "wip_owner", "operator", name="operators")


def documents(lines: Lines, accounts: Lines | None = None) -> pd.DataFrame:
    """The drill-down: one row per labour invoice or credit note with its figures."""
    return document_grid(invoiced(lines), LABOUR_LINE, accounts)


def rates(lines: Lines, key: str, column: str | None = None) -> Grid:
    """Hours sold and the effective labour rate (Net ÷ hours sold) per value of `key`.

    Hours sold = Σ allowed hours (time units × minutes_per_unit / 60 × contribution / 100)
    of invoiced lines; the rate is empty where no hours were sold.
    """
    column = column or key
    inner = f"SELECT *, ({ALLOWED_HOURS}) AS hours, ({LABOUR_LINE['net']}) AS net FROM lines WHERE {INVOICED}"
    sums = "SUM(hours) AS hours_sold, SUM(net) AS net"
    rows = query(lines, f"SELECT {key} AS {column}, {sums} FROM ({inner}) GROUP BY {key} ORDER BY {key} NULLS LAST")
    total = query(lines, f"SELECT {sums} FROM ({inner})")
    rows, total = _finish_rates(rows), _finish_rates(total)
    return Grid(f"{column}_rates", rows[[column, *RATE_COLUMNS]], total[list(RATE_COLUMNS)], (column,))


def _finish_rates(frame: pd.DataFrame) -> pd.DataFrame:
    for col in ("hours_sold", "net"):
        frame[col] = frame[col].astype("float64").fillna(0.0)
    frame = tidy(frame, ["hours_sold", "net"])
    frame["net_per_hour"] = ratio(frame["net"], frame["hours_sold"], scale=1.0)
    return frame


def sales_grids(lines: Lines) -> tuple[dict[str, Grid], dict[str, Grid]]:
    """The four sales grids (as `activity`, `departments`, `labour_types`, `operators`) and their
    `rates`, from one pass over the invoiced lines (a database computes each grid itself)."""
    makers = {"activity": activity, "departments": departments, "labour_types": labour_types,
              "operators": operators}
    if pushes_down(invoiced(lines)):
        return ({name: make(lines) for name, make in makers.items()},
                {name: rates(lines, *GRIDS[name]) for name in makers})
    keys = tuple(dict.fromkeys(key for key, _ in GRIDS.values()))
    frames, total = sales_sums(invoiced(lines), LABOUR_LINE, keys, {"hours_sold": ALLOWED_HOURS})
    sales_total = sales_figures(total)[list(SALES_COLUMNS)]
    rate_total = _finish_rates(total[["hours_sold", "net"]].copy())[list(RATE_COLUMNS)]
    grids, rated = {}, {}
    for name, (key, column) in GRIDS.items():
        rows = frames[key].rename(columns={key: column})
        grids[name] = Grid(name, sales_figures(rows)[[column, *SALES_COLUMNS]].reset_index(drop=True),
                           sales_total.copy(), (column,))
        rated[name] = Grid(f"{column}_rates", _finish_rates(rows[[column, "hours_sold", "net"]].copy())
                           [[column, *RATE_COLUMNS]].reset_index(drop=True), rate_total.copy(), (column,))
    return grids, rated


def with_rates(grid: Grid, rate: Grid) -> Grid:
    """The grid with hours sold and the effective rate beside it (for display, not the CSV)."""
    key = grid.key[0]
    rows = grid.rows.merge(rate.rows, on=key, how="left")
    total = None
    if grid.total is not None:
        total = pd.concat([grid.total.reset_index(drop=True), rate.total.reset_index(drop=True)], axis=1)
    return Grid(grid.name, rows, total, grid.key, list(grid.notes))


# ---------------------------------------------------------------- the report


_UNKNOWN = ("SELECT document, date_edit AS date, wip_no, line_no, account FROM lines "
            "ORDER BY date_edit, document, wip_no, line_no")
_UNINVOICED = (f"SELECT wip_no, line_no, technician, date_created, date_edit AS date, labour_type, "
               f"({ALLOWED_HOURS}) AS allowed FROM lines WHERE NOT ({INVOICED}) ORDER BY wip_no, line_no, technician")
_UNTYPED = ("SELECT document, date_edit AS date, wip_no, line_no FROM lines "
            "WHERE doc_type IS NULL ORDER BY date_edit, document, wip_no, line_no")


def unknown_accounts(lines: Lines, accounts: Lines | None) -> pd.DataFrame:
    """Invoiced lines whose account is missing from `accounts` (they still count as sales)."""
    return query(without_account(invoiced(lines), accounts), _UNKNOWN)


def uninvoiced(lines: Lines) -> pd.DataFrame:
    """Lines edited in the period that carry no document: work in progress, not sales."""
    return query(lines, _UNINVOICED)


def headline(total: pd.DataFrame, prior_total: pd.DataFrame, rate_total: pd.DataFrame) -> dict:
    """Net, profit, GP% and documents against the prior-year period; hours sold and the effective rate."""
    hours = rate_total.iloc[0]
    return {**sales_headline(total, prior_total), "hours_sold": float(hours["hours_sold"]),
            "net_per_hour": float(hours["net_per_hour"])}


KPIS = {
    "Gross": "allowed time units × labour rate × contribution ÷ 100, summed",
    "Discount": "the line's discount value, signed like the allowed time",
    "Net": "Gross − Discount",
    "Cost": "T × cost per hour × (minutes per unit ÷ 60) × (contribution ÷ 100), where T is the allowed "
    "time on flat-rate lines and the time taken otherwise",
    "Profit": "Net − Cost",
    "Variance": "menu fixed value − menu normal value (menu-priced lines; empty counts as 0) — "
    "the opposite sign of the parts variance",
    "GP%": "Profit ÷ Gross × 100, from the group's sums; empty when Gross is 0",
    "Documents": "distinct invoice and credit-note numbers (split into invoices and credits)",
    "Hours sold": "allowed time units × minutes per unit ÷ 60 × contribution ÷ 100, summed "
    "(60-minute units are hours, 6-minute units tenths of an hour)",
    "Net per hour": "the effective labour rate: Net ÷ hours sold, from the group's sums; empty when no "
    "hours were sold",
    "Invoiced": "only lines with a document number count; lines still on open jobs are work in "
    "progress (see the Workshop report's Open and Close)",
}


@dataclass
class LabourReport:
    grids: dict[str, Grid]
    shown: dict[str, Grid]
    documents: pd.DataFrame
    quality: "DataQuality"
    headline: dict
    notes: list[str] = field(default_factory=list)
    #: Every document of the period (what `documents` lists the first of; the page's drill-down holds the latest).
    every_document: pd.DataFrame | None = None


def build(ctx) -> LabourReport:
    """Every grid of the Labour report for the context's period, saved as CSV when a run asks."""
    lines = ctx.lines("labour_lines")
    accounts = ctx.table("accounts")
    grids, rated = sales_grids(lines)
    shown = {name: with_rates(grids[name], rated[name]) for name in grids}
    prior = departments(ctx.lines("labour_lines", ctx.period.prior()))
    head = headline(grids["departments"].total, prior.total, rated["departments"].total)

    quality = DataQuality()
    counts = query(lines, f"SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE {INVOICED}) AS inv, "
                          f"COUNT(*) FILTER (WHERE {INVOICED} AND doc_type IS NULL) AS untyped FROM lines")
    read, used = int(counts["n"].iloc[0]), int(counts["inv"].iloc[0])
    quality.add("labour lines edited in the period", read, "read")
    quality.add("invoiced labour lines", used, "counted in every grid")
    limit = int(ctx.params["report"]["drilldown_rows"])  # rows a list holds; its check counts them all
    wip, _ = capped(lines, _UNINVOICED, limit, read - used)
    quality.add("labour lines not invoiced (no document)", read - used,
                "not in the labour grids (work in progress, not sales); listed here", wip)
    unknown, unknown_rows = capped(without_account(invoiced(lines), accounts), _UNKNOWN, limit)
    quality.add("invoiced lines whose account is not in accounts", unknown_rows,
                "counted in every grid (they are sales); listed here", unknown)
    untyped = int(counts["untyped"].iloc[0])
    if untyped:
        detail, _ = capped(invoiced(lines), _UNTYPED, limit, untyped)
        quality.add("invoiced lines without a doc_type", untyped,
                    "counted in the sums and in Documents, neither as invoice nor as credit", detail)
    notes: list[str] = []
    every = documents(lines, accounts)
    docs = listed_documents(ctx, every, limit, notes)
    ctx.save_all(grids)
    ctx.record(
        headline=head,
        tiles=tiles(head)[:1],
        rows={"read": read, "used": used, "set_aside": read - used},
        quality=quality.checks,
    )
    return LabourReport(grids, shown, docs, quality, head, notes, every)


def tiles(head: dict) -> list[dict]:
    """The Labour headline tiles: net (with its change against the prior year), GP%, hours, rate."""
    growth = head["net_growth_pct"]
    gp, gp_prior = head["gp_pct"], head["gp_pct_prior"]
    gp_change = gp - gp_prior if gp == gp and gp_prior == gp_prior else float("nan")
    delta = head["net"] - head["net_prior"]
    growth_text = "" if growth != growth else f" ({growth:+.1f} %)"
    return [
        {"label": "Labour net sales", "value": head["net"], "kind": "money",
         "change": growth if growth == growth else delta, "change_text": f"{delta:+,.2f}{growth_text} vs prior year"},
        {"label": "Labour GP%", "value": gp, "kind": "ratio", "change": gp_change,
         "change_text": "" if gp_change != gp_change else f"{gp_change:+.1f} pts vs prior year"},
        {"label": "Hours sold", "value": head["hours_sold"], "kind": "hours",
         "change_text": f"{head['invoices']:,} invoices · {head['credits']:,} credits"},
        {"label": "Effective rate (net per hour)", "value": head["net_per_hour"], "kind": "money"},
    ]
