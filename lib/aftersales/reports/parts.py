"""The Parts report's grids (SPEC §3 "Parts"): pure functions, relations in → grids out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from aftersales.reports.formulas import PARTS_LINE, ratio, tidy
from aftersales.reports.grids import (
    Grid,
    Lines,
    capped,
    document_grid,
    query,
    sales_grid,
    sales_headline,
    sql_date,
    sum_total,
    without_account,
)
from aftersales.reports.grids import sales_grids as _sales_grids
from aftersales.reports.quality import DataQuality

MOVEMENT_TYPES = ("invoiced", "returned", "requisitioned", "reversed", "received")
MOVEMENT_COLUMNS = (*MOVEMENT_TYPES, "movement", "vor_loss", "first_pick_pct")
BUCKETS = ("current", "d30", "d60", "d90", "d120", "d120_plus")
BUCKET_LABELS = ("Current", "30", "60", "90", "120", "120+")
#: The columns of the `documents` CSV (every document of the period; the page shows the first ones).
DOCUMENT_COLUMNS = ("document", "date", "account", "name", "doc_type", "lines", "net", "profit")


def activity(lines: Lines) -> Grid:
    """Sales per day (date_edit)."""
    return sales_grid(lines, PARTS_LINE, "date_edit", "date", name="activity")


def departments(lines: Lines) -> Grid:
    return sales_grid(lines, PARTS_LINE, "department", name="departments")


def sales_types(lines: Lines) -> Grid:
    return sales_grid(lines, PARTS_LINE, "sale_type", name="sales_types")


def operators(lines: Lines) -> Grid:
    return sales_grid(lines, PARTS_LINE, "operator", name="operators")


#: The four sales grids: name → (source column, output key column).
GRIDS = {
    "activity": ("date_edit", "date"),
    "departments": ("department", "department"),
    "sales_types": ("sale_type", "sale_type"),
    "operators": ("operator", "operator"),
}


def sales_grids(lines: Lines) -> dict[str, Grid]:
    """Activity, Departments, Sales types and Operators (as the functions above) from one pass."""
    return _sales_grids(lines, PARTS_LINE, GRIDS)


def documents(lines: Lines, accounts: Lines | None = None) -> pd.DataFrame:
    """The drill-down: one row per document with account, name, WIP and its figures."""
    return document_grid(lines, PARTS_LINE, accounts)


def movement(lines: Lines, movements: Lines | None, start: dt.date, last: dt.date) -> Grid:
    """Stock movement values per day, VOR loss and first-pick % of the day's parts lines.

    `lines` are the period's parts lines; `movements` the parts_movements table (or None
    when the source has none: the movement values are then empty). The days are those
    with a movement or a parts line.
    """
    line_days = query(
        lines,
        "SELECT date_edit AS date, SUM(COALESCE(vor_loss, 0)) AS vor_loss, "
        "COUNT(*) FILTER (WHERE doc_type = 'invoice' AND first_pick) AS fp_yes, "
        "COUNT(*) FILTER (WHERE doc_type = 'invoice' AND first_pick IS NOT NULL) AS fp_known "
        "FROM lines GROUP BY date_edit",
    )
    if movements is not None:
        sums = ", ".join(
            f"SUM(CASE WHEN movement_type = '{m}' THEN value ELSE 0 END) AS {m}" for m in MOVEMENT_TYPES
        )
        move_days = query(
            movements,
            f"SELECT date, {sums} FROM lines WHERE date BETWEEN {sql_date(start)} AND {sql_date(last)} "
            "GROUP BY date",
        )
    else:
        move_days = pd.DataFrame({"date": pd.Series([], dtype=line_days["date"].dtype)})
    frame = line_days.merge(move_days, on="date", how="outer").sort_values("date")
    for m in MOVEMENT_TYPES:
        if m not in frame:
            frame[m] = float("nan")
        elif movements is not None:
            frame[m] = frame[m].astype("float64").fillna(0.0)
    frame["vor_loss"] = frame["vor_loss"].astype("float64").fillna(0.0)
    for c in ("fp_yes", "fp_known"):
        frame[c] = frame[c].fillna(0).astype("int64")
    frame = _movement_figures(frame)
    total = _movement_figures(sum_total(frame, [*MOVEMENT_TYPES, "vor_loss", "fp_yes", "fp_known"]))
    if movements is None:
        total[list(MOVEMENT_TYPES)] = float("nan")
    grid = Grid(
        "movement",
        frame[["date", *MOVEMENT_COLUMNS]].reset_index(drop=True),
        total[list(MOVEMENT_COLUMNS)],
        ("date",),
    )
    if movements is None:
        grid.notes.append(
            "The source has no parts_movements table: movement values are empty; "
            "VOR loss and first pick come from the parts lines."
        )
    return grid


def _movement_figures(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["movement"] = (
        frame["received"] + frame["returned"] + frame["reversed"] - frame["invoiced"] - frame["requisitioned"]
    )
    frame = tidy(frame, [*MOVEMENT_TYPES, "movement", "vor_loss"])
    frame["first_pick_pct"] = ratio(frame["fp_yes"], frame["fp_known"])
    return frame


def purchasing(orders: Lines, as_of: dt.date) -> Grid:
    """Outstanding order quantity per state × order type, aged against `as_of`.

    age = as_of − the latest of grn_date, date_created, date_required (empty dates ignored).
    Only lines with outstanding_qty > 0 created on or before as_of count.
    """
    cond = {
        "current": "age <= 0",
        "d30": "age BETWEEN 1 AND 30",
        "d60": "age BETWEEN 31 AND 60",
        "d90": "age BETWEEN 61 AND 90",
        "d120": "age BETWEEN 91 AND 120",
        "d120_plus": "age > 120",
    }
    cells = ", ".join(
        f"SUM(CASE WHEN {c} THEN outstanding_qty ELSE 0 END) AS {b}" for b, c in cond.items()
    )
    frame = query(
        orders,
        f"SELECT state, order_type, {cells}, SUM(outstanding_qty) AS total FROM ("
        f"  SELECT *, {sql_date(as_of)} - GREATEST(grn_date, date_created, date_required) AS age"
        f"  FROM lines WHERE outstanding_qty > 0 AND date_created <= {sql_date(as_of)}"
        ") GROUP BY state, order_type ORDER BY state, order_type",
    )
    for b in (*BUCKETS, "total"):
        frame[b] = frame[b].astype("float64")
    frame = tidy(frame)
    total = tidy(sum_total(frame, [*BUCKETS, "total"]))
    return Grid("purchasing", frame.reset_index(drop=True), total, ("state", "order_type"))


# ---------------------------------------------------------------- the report


_UNKNOWN = "SELECT document, date_edit AS date, account FROM lines ORDER BY date_edit, document"


def unknown_accounts(lines: Lines, accounts: Lines | None) -> pd.DataFrame:
    """Lines whose account is missing from `accounts` (they still count as sales)."""
    return query(without_account(lines, accounts), _UNKNOWN)


def headline(grid_total: pd.DataFrame, prior_total: pd.DataFrame) -> dict:
    """Net, profit and GP% of the period and of the prior-year period."""
    return sales_headline(grid_total, prior_total)


KPIS = {
    "Gross": "quantity × retail (list) price, summed",
    "Discount": "the line's discount value, signed like the quantity",
    "Net": "quantity × selling price − discount",
    "Cost": "quantity × cost price",
    "Profit": "Net − Cost",
    "Variance": "menu normal value − menu fixed value (menu-priced lines; empty counts as 0)",
    "GP%": "Profit ÷ Gross × 100, from the group's sums; empty when Gross is 0",
    "Documents": "distinct invoice and credit-note numbers (split into invoices and credits)",
    "Movement": "received + returned + reversed − invoiced − requisitioned (stock values)",
    "VOR loss": "value lost on the day's lines because the part was not in stock",
    "First pick %": "invoice lines supplied in full from stock at first request ÷ invoice lines whose "
    "first pick is known × 100 (credit lines are ignored)",
    "Purchasing age": "as-of − the latest of goods-received, created and required dates; buckets "
    "Current (≤ 0 days), 30, 60, 90, 120, 120+; cells are outstanding quantities",
}


@dataclass
class PartsReport:
    grids: dict[str, Grid]
    documents: pd.DataFrame
    quality: "DataQuality"
    headline: dict
    notes: list[str] = field(default_factory=list)
    #: Every document of the period (what `documents` lists the first of; the page's drill-down holds the latest).
    every_document: pd.DataFrame | None = None


def build(ctx) -> PartsReport:
    """Every grid of the Parts report for the context's period, saved as CSV when a run asks."""
    lines = ctx.lines("parts_lines")
    accounts = ctx.table("accounts")
    movements = ctx.table("parts_movements")
    grids = {
        **sales_grids(lines),
        "movement": movement(lines, movements, ctx.period.start, ctx.period.last),
    }
    notes = []
    orders = ctx.table("purchase_order_lines")
    if orders is not None:
        grids["purchasing"] = purchasing(orders, ctx.period.as_of)
    else:
        notes.append("The source has no purchase_order_lines table: the Purchasing grid needs it.")
    prior = departments(ctx.lines("parts_lines", ctx.period.prior()))
    head = headline(grids["departments"].total, prior.total)
    first_pick = grids["movement"].total
    head["first_pick_pct"] = float(first_pick["first_pick_pct"].iloc[0])
    head["vor_loss"] = float(first_pick["vor_loss"].iloc[0])

    quality = DataQuality()
    read = int(query(lines, "SELECT COUNT(*) AS n FROM lines")["n"].iloc[0])
    quality.add("parts lines in the period", read, "all counted in every grid")
    limit = int(ctx.params["report"]["drilldown_rows"])  # rows a list holds; its check counts them all
    unknown, unknown_rows = capped(without_account(lines, accounts), _UNKNOWN, limit)
    quality.add("lines whose account is not in accounts", unknown_rows,
                "counted in every grid (they are sales); listed here", unknown)
    credit_fp = int(query(lines, "SELECT COUNT(*) AS n FROM lines WHERE doc_type = 'credit' "
                                 "AND first_pick IS NOT NULL")["n"].iloc[0])
    quality.add("credit lines with a first-pick flag", credit_fp, "counted in sales; ignored by First pick %")
    if orders is not None:
        skipped = query(orders, "SELECT COUNT(*) FILTER (WHERE outstanding_qty <= 0) AS done, "
                                "COUNT(*) FILTER (WHERE outstanding_qty > 0 AND "
                                f"date_created > {sql_date(ctx.period.as_of)}) AS later "
                                "FROM lines")
        quality.add("order lines with nothing outstanding", int(skipped["done"].iloc[0]),
                    "not in Purchasing (only outstanding quantities are aged)")
        quality.add("order lines created after as-of", int(skipped["later"].iloc[0]),
                    "not in Purchasing (data after as-of never counts)")
    every = documents(lines, accounts)
    docs = listed_documents(ctx, every, limit, notes)
    ctx.save_all(grids)
    ctx.record(
        headline=head,
        tiles=tiles(head)[:1],
        rows={"read": read, "used": read, "set_aside": 0},
        quality=quality.checks,
    )
    return PartsReport(grids, docs, quality, head, notes, every)


def listed_documents(ctx, every: pd.DataFrame, limit: int, notes: list[str]) -> pd.DataFrame:
    """Save every document of the period as `documents` (the CSV and so the spreadsheet's sheet, with
    DOCUMENT_COLUMNS) and return the first `limit` (by date and document) the page lists, with
    `attrs["rows"]` the count of all; a note says when the page lists fewer than all."""
    ctx.save(every[list(DOCUMENT_COLUMNS)], "documents")
    shown = every.head(limit).copy()
    shown.attrs["rows"] = len(every)
    if len(every) > limit:
        notes.append(f"The documents list shows the first {limit:,} of {len(every):,} documents (by date and "
                     f"document); every document counts in the grids above, and the CSV table "
                     f"{ctx.report}/documents and the spreadsheet hold them all.")
    return shown


def tiles(head: dict) -> list[dict]:
    """The Parts headline tiles, each with its change against the prior year."""
    growth = head["net_growth_pct"]
    gp_change = head["gp_pct"] - head["gp_pct_prior"] if head["gp_pct_prior"] == head["gp_pct_prior"] else float("nan")
    return [
        {"label": "Parts net sales", "value": head["net"], "kind": "money", "change": growth,
         "change_text": _change_text(head["net"] - head["net_prior"], growth, "money")},
        {"label": "Parts profit", "value": head["profit"], "kind": "money"},
        {"label": "GP%", "value": head["gp_pct"], "kind": "ratio", "change": gp_change,
         "change_text": "" if gp_change != gp_change else f"{gp_change:+.1f} pts vs prior year"},
        {"label": "Documents", "value": head["documents"], "kind": "count",
         "change_text": f"{head['invoices']:,} invoices · {head['credits']:,} credits"},
        {"label": "First pick %", "value": head["first_pick_pct"], "kind": "ratio"},
        {"label": "VOR loss", "value": head["vor_loss"], "kind": "money"},
    ]


def _change_text(delta: float, pct: float, kind: str) -> str:
    pct_text = "" if pct != pct else f" ({pct:+.1f} %)"
    return f"{delta:+,.2f}{pct_text} vs prior year"
