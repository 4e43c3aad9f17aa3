"""The Fixed operations report's figures (SPEC §6.5): repair orders, pay types, work in
progress, stock health (see `reports.stock`) and absorption — pure functions, relations in →
grids out.

The relations are already filtered to the scope by the caller; `parts` and `labour` hold every
date (each function picks its own days), `overheads` and `stock` are None when the source lacks
the table. Line values are the formulas of `formulas.py`; every sum runs in the engine.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from aftersales.reports import stock as stock_figures
from aftersales.reports.formulas import ALLOWED_HOURS, INVOICED, LABOUR_LINE, PARTS_LINE, ratio, tidy
from aftersales.reports.grids import Grid, Lines, in_period, query, relation, sql_date
from aftersales.reports.periods import Period

#: The columns of tables/operations/summary.csv (one row), in the SPEC's order.
SUMMARY_COLUMNS = (
    "ros", "hours_sold", "hours_per_ro", "labour_net", "labour_per_ro", "workshop_parts_net", "parts_per_ro",
    "parts_to_labour", "elr", "gross_profit", "overheads", "absorption_pct", "stock_value", "cost_of_sales_12m",
    "turns", "days_supply", "obsolescence_pct",
)
#: The Repair-orders figures compared with the prior year (`repair_orders_change`).
REPAIR_ORDER_FIGURES = ("ros", "hours_sold", "hours_per_ro", "labour_net", "labour_per_ro", "workshop_parts_net",
                        "parts_per_ro", "parts_to_labour", "elr", "gross_profit")
#: The unit each Repair-orders figure is shown in (a count whole, hours and money with 2 decimals,
#: parts to labour as a factor), for its value, prior value and change alike.
FIGURE_UNITS = {"ros": "count", "hours_sold": "hours", "hours_per_ro": "hours", "labour_net": "money",
                "labour_per_ro": "money", "workshop_parts_net": "money", "parts_per_ro": "money",
                "parts_to_labour": "factor", "elr": "money", "gross_profit": "money"}
#: The columns of tables/operations/pay_types.csv, after the key `pay_type`.
PAY_TYPE_COLUMNS = ("ros", "hours_sold", "labour_net", "labour_profit", "labour_gp_pct", "elr",
                    "hours_mix_pct", "parts_net", "parts_profit")
#: The pay types of the contract (SPEC §6.1); an empty pay type counts as `customer`.
PAY_TYPES = ("customer", "internal", "warranty")
DEFAULT_PAY_TYPE = "customer"
#: The age buckets of work in progress, in the CSV's order (days: 0–7, 8–30, 31–60, 61–90, 91+).
WIP_BUCKETS = ("d0_7", "d8_30", "d31_60", "d61_90", "d90_plus")
WIP_COLUMNS = ("jobs", "hours", "value")
OPEN_JOB_COLUMNS = ("wip_no", "owner", "account", "date_created", "age_days", "hours", "value")
#: Days in the stock-turn year (cost of sales over as_of − 364 .. as_of; days supply per 365 days).
YEAR_DAYS = 365

#: What each optional table fills, shown in place of its section when the source lacks it.
MISSING = {
    "parts_stock": "Stock value, ageing, turns, days supply and obsolescence need a parts_stock table "
                   "(branch, part_no, on_hand_qty, unit_cost, last_sale_date, last_receipt_date).",
    "overheads": "Absorption needs an overheads table (branch, month YYYY-MM, amount): the fixed overhead "
                 "expense of each month.",
    "pay_type": "Pay types need a pay_type column (customer, warranty, internal) on labour_lines and "
                "parts_lines: without it every line counts as customer.",
}


# ---------------------------------------------------------------- helpers


def _columns(lines: Lines) -> set[str]:
    return {str(c).lower() for c in lines.columns}


def pay_type_sql(lines: Lines) -> str:
    """SQL for a line's pay type: its pay_type, `customer` when empty or when the table has no such
    column (SPEC §6.1)."""
    if "pay_type" in _columns(lines):
        return f"COALESCE(NULLIF(pay_type, ''), '{DEFAULT_PAY_TYPE}')"
    return f"'{DEFAULT_PAY_TYPE}'"


def _labour_sums(labour: Lines, start: dt.date, last: dt.date, by_pay_type: bool = False) -> pd.DataFrame:
    """ROs, hours sold, Net, Profit and Gross of the labour lines dated start..last: ROs are the
    distinct jobs of lines of doc_type `invoice`; the sums are over invoiced lines (invoices and
    credits, with their signs). With `by_pay_type`, one row per pay type (column `pay_type`)."""
    rows = relation(labour).filter(in_period("date_edit", start, last))
    key = f"{pay_type_sql(labour)} AS pay_type, " if by_pay_type else ""
    inner = (f"SELECT {key}wip_no, doc_type, ({INVOICED}) AS invoiced, ({ALLOWED_HOURS}) AS hours, "
             f"({LABOUR_LINE['net']}) AS net, ({LABOUR_LINE['profit']}) AS profit, "
             f"({LABOUR_LINE['gross']}) AS gross "
             f"FROM lines WHERE {INVOICED} OR doc_type = 'invoice'")
    sums = ", ".join(f"SUM({v}) FILTER (WHERE invoiced) AS {n}" for v, n in
                     (("hours", "hours_sold"), ("net", "labour_net"), ("profit", "labour_profit"),
                      ("gross", "labour_gross")))
    select = f"COUNT(DISTINCT wip_no) FILTER (WHERE doc_type = 'invoice') AS ros, {sums}"
    if by_pay_type:
        frame = query(rows, f"SELECT pay_type, {select} FROM ({inner}) AS l GROUP BY pay_type ORDER BY pay_type")
    else:
        frame = query(rows, f"SELECT {select} FROM ({inner}) AS l")
    return _filled(frame, ["ros"], ["hours_sold", "labour_net", "labour_profit", "labour_gross"])


def _filled(frame: pd.DataFrame, counts: list[str], sums: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for col in counts:
        frame[col] = frame[col].fillna(0).astype("int64")
    for col in sums:
        frame[col] = frame[col].astype("float64").fillna(0.0)
    return tidy(frame, sums)


def _parts_sums(parts: Lines, period: Period, year: bool = True) -> pd.DataFrame:
    """Workshop parts Net (lines with a wip_no) and parts Profit (every line) of the period, and
    the parts Cost of the 365 days as_of − 364 .. as_of (cost of sales 12 months): one pass
    (without `year`, over the period's lines only, and no cost of sales)."""
    year_start = period.as_of - dt.timedelta(days=YEAR_DAYS - 1) if year else period.start
    first, last = min(period.start, year_start), max(period.last, period.as_of if year else period.last)
    rows = relation(parts).filter(in_period("date_edit", first, last))
    in_now, in_year = in_period("date_edit", period.start, period.last), in_period("date_edit", year_start,
                                                                                   period.as_of)
    frame = query(rows, (
        f"SELECT SUM(net) FILTER (WHERE in_now AND workshop) AS workshop_parts_net, "
        f"SUM(profit) FILTER (WHERE in_now) AS parts_profit, SUM(cost) FILTER (WHERE in_year) AS cost_of_sales_12m "
        f"FROM (SELECT ({in_now}) AS in_now, ({in_year}) AS in_year, COALESCE(wip_no, '') <> '' AS workshop, "
        f"({PARTS_LINE['net']}) AS net, ({PARTS_LINE['profit']}) AS profit, ({PARTS_LINE['cost']}) AS cost "
        f"FROM lines) AS p"))
    return _filled(frame, [], ["workshop_parts_net", "parts_profit", "cost_of_sales_12m"])


# ---------------------------------------------------------------- absorption


def period_overheads(overheads: Lines | None, start: dt.date, end: dt.date) -> float:
    """Σ over the months of start..end of amount × (days of the month inside the period ÷ days in
    the month), as targets are prorated; empty (NaN) without the table or without an overhead row
    for a month of the period."""
    if overheads is None:
        return math.nan
    s, e = sql_date(start), sql_date(end)
    frame = query(overheads, f"""
        SELECT COUNT(*) AS months, SUM(amount * share) AS amount
        FROM (SELECT amount, CAST(GREATEST(0, LEAST({e}, last_day(first)) - GREATEST({s}, first) + 1) AS DOUBLE)
                             / day(last_day(first)) AS share
              FROM (SELECT amount, TRY_CAST(left(CAST(month AS VARCHAR), 7) || '-01' AS DATE) AS first FROM lines) AS m
              WHERE first IS NOT NULL) AS shared
        WHERE share > 0""")
    if int(frame["months"].iloc[0]) == 0:
        return math.nan
    return float(tidy(frame, ["amount"])["amount"].astype("float64").iloc[0])


# ---------------------------------------------------------------- repair orders and the summary


def summary(parts: Lines, labour: Lines, overheads: Lines | None, stock: Lines | None, period: Period) -> Grid:
    """The one row of `operations/summary`: repair orders, effective labour rate, gross profit,
    absorption and stock health of the period (start..last; overheads over start..end).

    The absorption columns are empty without `overheads`, the stock columns (with cost of sales
    12 months) without `stock`.
    """
    lab = _labour_sums(labour, period.start, period.last).iloc[0]
    par = _parts_sums(parts, period, year=stock is not None).iloc[0]  # cost of sales only beside stock
    ros = int(lab["ros"])
    hours, labour_net, workshop_net = float(lab["hours_sold"]), float(lab["labour_net"]), float(
        par["workshop_parts_net"])
    gross_profit = round(float(par["parts_profit"]) + float(lab["labour_profit"]), 6) + 0.0
    overhead = period_overheads(overheads, period.start, period.end)
    row: dict[str, float | int] = {
        "ros": ros,
        "hours_sold": hours,
        "hours_per_ro": ratio(hours, ros, 1),
        "labour_net": labour_net,
        "labour_per_ro": ratio(labour_net, ros, 1),
        "workshop_parts_net": workshop_net,
        "parts_per_ro": ratio(workshop_net, ros, 1),
        "parts_to_labour": ratio(workshop_net, labour_net, 1),
        "elr": ratio(labour_net, hours, 1),
        "gross_profit": gross_profit,
        "overheads": overhead,
        "absorption_pct": ratio(gross_profit, overhead),
    }
    row.update(_stock_columns(stock, period.as_of, float(par["cost_of_sales_12m"])))
    frame = pd.DataFrame([row], columns=list(SUMMARY_COLUMNS))
    frame["ros"] = frame["ros"].astype("int64")
    grid = Grid("summary", frame, None, ())
    grid.notes.extend(f"Empty figures: {MISSING[t]}" for t, table in (("overheads", overheads), ("parts_stock", stock))
                      if table is None)
    return grid


def _stock_columns(stock: Lines | None, as_of: dt.date, cost_12m: float) -> dict[str, float]:
    if stock is None:
        return dict.fromkeys(("stock_value", "cost_of_sales_12m", "turns", "days_supply", "obsolescence_pct"),
                             math.nan)
    ageing = stock_figures.stock_ageing(stock, as_of)
    value = stock_figures.stock_value(ageing)
    return {
        "stock_value": value,
        "cost_of_sales_12m": cost_12m,
        "turns": ratio(cost_12m, value, 1),
        "days_supply": ratio(value, cost_12m / YEAR_DAYS, 1),
        "obsolescence_pct": stock_figures.obsolescence_pct(ageing),
    }


def repair_orders_change(now: Grid, prior: Grid) -> pd.DataFrame:
    """The Repair-orders figures of the period against the same dates a year earlier (`summary` of
    `period.prior()`): figure, value, prior, change (value − prior) and change_pct
    ((value − prior) ÷ |prior| × 100); a change is empty where either figure is."""
    a, b = now.rows.iloc[0], prior.rows.iloc[0]
    rows = []
    for figure in REPAIR_ORDER_FIGURES:
        value, before = float(a[figure]), float(b[figure])
        change = value - before if not (math.isnan(value) or math.isnan(before)) else math.nan
        rows.append({"figure": figure, "value": value, "prior": before,
                     "change": change if math.isnan(change) else round(change, 6) + 0.0,
                     "change_pct": ratio(change, abs(before))})
    return pd.DataFrame(rows, columns=["figure", "value", "prior", "change", "change_pct"])


# ---------------------------------------------------------------- pay types


def pay_types(parts: Lines, labour: Lines, period: Period) -> Grid:
    """One row per pay type present in the period (a parts line or an invoiced labour line carries
    it), sorted by pay type: ROs, hours sold, labour Net and Profit, labour GP%, ELR, hours mix and
    parts Net and Profit (every parts line, counter and workshop, under its own pay type).

    The totals row is the period's own figures (ROs: distinct jobs over every pay type)."""
    lab = _labour_sums(labour, period.start, period.last, by_pay_type=True)
    lab_total = _labour_sums(labour, period.start, period.last)
    rows = relation(parts).filter(in_period("date_edit", period.start, period.last))
    par = query(rows, f"SELECT {pay_type_sql(parts)} AS pay_type, SUM({PARTS_LINE['net']}) AS parts_net, "
                      f"SUM({PARTS_LINE['profit']}) AS parts_profit FROM lines GROUP BY 1 ORDER BY 1")
    frame = lab.merge(par, on="pay_type", how="outer").sort_values("pay_type", kind="stable")
    measures = ["hours_sold", "labour_net", "labour_profit", "labour_gross", "parts_net", "parts_profit"]
    frame = _filled(frame, ["ros"], measures).reset_index(drop=True)
    all_hours = float(lab_total["hours_sold"].iloc[0])
    frame = _pay_type_ratios(frame, all_hours)
    total = _filled(lab_total.assign(parts_net=par["parts_net"].sum(), parts_profit=par["parts_profit"].sum()),
                    ["ros"], measures)
    total = _pay_type_ratios(total, all_hours)
    return Grid("pay_types", frame[["pay_type", *PAY_TYPE_COLUMNS]], total[list(PAY_TYPE_COLUMNS)], ("pay_type",))


def _pay_type_ratios(frame: pd.DataFrame, all_hours: float) -> pd.DataFrame:
    frame = frame.copy()
    frame["labour_gp_pct"] = ratio(frame["labour_profit"], frame["labour_gross"])
    frame["elr"] = ratio(frame["labour_net"], frame["hours_sold"], 1)
    frame["hours_mix_pct"] = ratio(frame["hours_sold"], pd.Series([all_hours] * len(frame), index=frame.index))
    return frame


# ---------------------------------------------------------------- work in progress


def _wip_sql(t: dt.date, limit: int | None) -> str:
    """One pass over the labour lines: the five age buckets of the jobs open at `t` (jobs, hours,
    value), then the first `limit` open jobs oldest first (ties by job number; every job when
    `limit` is None) with owner, account, first date, age, hours and value; a column `kind` says
    which (`bucket` or `job`).

    A line is open when raised by t (date_created ≤ t) and not invoiced by then: no document,
    or its document dated after t. Owner and account are those of most of the job's open lines
    (ties: those of its lowest line number, then the first in order).
    """
    day = sql_date(t)
    open_lines = (f"SELECT wip_no, line_no, wip_owner, account, CAST(date_created AS DATE) AS created, "
                  f"({ALLOWED_HOURS}) AS hours, ({LABOUR_LINE['gross']}) AS value FROM lines "
                  f"WHERE CAST(date_created AS DATE) <= {day} AND (NOT ({INVOICED}) OR date_edit > {day})")

    def most(column: str) -> str:
        return (f"SELECT wip_no, {column} FROM (SELECT wip_no, {column}, COUNT(*) AS n, MIN(line_no) AS first_line "
                f"FROM open_lines WHERE wip_no IN (SELECT wip_no FROM listed) GROUP BY wip_no, {column}) AS c "
                f"QUALIFY row_number() OVER (PARTITION BY wip_no ORDER BY n DESC, first_line, {column} NULLS LAST) = 1")

    age = f"{day} - date_created"
    first = "" if limit is None else f" LIMIT {int(limit)}"
    return (
        f"WITH open_lines AS MATERIALIZED ({open_lines}), "
        "jobs AS MATERIALIZED (SELECT wip_no, MIN(created) AS date_created, SUM(hours) AS hours, SUM(value) AS value "
        "FROM open_lines GROUP BY wip_no), "
        f"listed AS MATERIALIZED (SELECT * FROM jobs ORDER BY date_created, wip_no NULLS LAST{first}), "
        f"owners AS ({most('wip_owner')}), accounts AS ({most('account')}) "
        f"SELECT 'bucket' AS kind, {_wip_bucket(age)} AS bucket, COUNT(*) AS jobs, NULL AS wip_no, NULL AS owner, "
        "NULL AS account, NULL AS date_created, NULL AS age_days, SUM(hours) AS hours, SUM(value) AS value "
        "FROM jobs GROUP BY 2 "
        f"UNION ALL SELECT 'job', NULL, NULL, j.wip_no, o.wip_owner, a.account, j.date_created, {age}, j.hours, "
        "j.value FROM listed j LEFT JOIN owners o ON o.wip_no IS NOT DISTINCT FROM j.wip_no "
        "LEFT JOIN accounts a ON a.wip_no IS NOT DISTINCT FROM j.wip_no"
    )


def _wip_bucket(age: str) -> str:
    return (f"CASE WHEN {age} <= 7 THEN 'd0_7' WHEN {age} <= 30 THEN 'd8_30' WHEN {age} <= 60 THEN 'd31_60' "
            f"WHEN {age} <= 90 THEN 'd61_90' ELSE 'd90_plus' END")


def work_in_progress(labour: Lines, t: dt.date, limit: int | None = None) -> tuple[Grid, pd.DataFrame]:
    """`wip` and `open_jobs` from one pass over the labour lines (see both)."""
    frame = query(labour, _wip_sql(t, limit))
    buckets = frame[frame["kind"] == "bucket"].set_index("bucket").reindex(list(WIP_BUCKETS))
    rows = tidy(pd.DataFrame({
        "bucket": list(WIP_BUCKETS),
        "jobs": buckets["jobs"].fillna(0).astype("int64").to_numpy(),
        "hours": buckets["hours"].astype("float64").fillna(0.0).to_numpy(),
        "value": buckets["value"].astype("float64").fillna(0.0).to_numpy(),
    }), ["hours", "value"])
    total = tidy(pd.DataFrame([{"jobs": int(rows["jobs"].sum()), "hours": float(rows["hours"].sum()),
                                "value": float(rows["value"].sum())}]), ["hours", "value"])
    jobs = frame[frame["kind"] == "job"].sort_values(["age_days", "wip_no"], ascending=[False, True],
                                                     na_position="last", kind="stable")
    jobs = jobs[list(OPEN_JOB_COLUMNS)].copy()
    jobs["date_created"] = pd.to_datetime(jobs["date_created"])
    jobs["age_days"] = jobs["age_days"].astype("int64")
    for col in ("hours", "value"):
        jobs[col] = jobs[col].astype("float64")
    jobs = tidy(jobs, ["hours", "value"]).reset_index(drop=True)
    jobs.attrs["rows"] = int(total["jobs"].iloc[0])
    return Grid("wip", rows, total, ("bucket",)), jobs


def wip(labour: Lines, t: dt.date) -> Grid:
    """Open jobs at t (= min(to, as_of)) by age bucket: jobs, hours (allowed hours of their open
    lines) and value (Gross of their open lines). Five rows always, in the order of WIP_BUCKETS."""
    return work_in_progress(labour, t, 0)[0]


def open_jobs(labour: Lines, t: dt.date, limit: int | None = None) -> pd.DataFrame:
    """The jobs open at t, oldest first (ties by job number): wip_no, owner, account,
    date_created (the earliest of its open lines), age_days, hours and value.

    With `limit`, the first `limit` jobs; `attrs["rows"]` holds how many there are in all."""
    return work_in_progress(labour, t, limit)[1]


# ---------------------------------------------------------------- the KPI dictionary

KPIS = {
    "ROs (repair orders)": "distinct job numbers (wip_no) of labour lines of type invoice dated in the period; "
    "credits do not make a repair order",
    "Hours sold": "Σ allowed time units × minutes per unit ÷ 60 × contribution ÷ 100 of the invoiced labour "
    "lines (invoices and credits, with their signs) dated in the period",
    "Hours per RO": "Hours sold ÷ ROs; empty when there is no RO",
    "Labour net": "Σ Net (Gross − discount) of the invoiced labour lines dated in the period",
    "Labour per RO": "Labour net ÷ ROs",
    "Workshop parts net": "Σ Net (quantity × selling price − discount) of the parts lines with a job number "
    "(wip_no) dated in the period",
    "Parts per RO": "Workshop parts net ÷ ROs",
    "Parts to labour": "Workshop parts net ÷ Labour net (parts sold per unit of labour sold)",
    "ELR (effective labour rate)": "Labour net ÷ Hours sold: what an hour sold really brings in after "
    "discounts; empty when no hours were sold",
    "Gross profit": "parts Profit of every parts line (counter and workshop) + labour Profit of the invoiced "
    "labour lines, dated in the period",
    "Pay type": "the line's pay_type (customer, warranty, internal); an empty one counts as customer; a line "
    "counts under its own pay type",
    "Labour profit": "Σ labour Profit (Net − Cost) of the invoiced labour lines dated in the period",
    "Labour GP%": "the pay type's labour Profit ÷ labour Gross × 100",
    "Hours mix %": "the pay type's Hours sold ÷ all Hours sold × 100; empty when no hours were sold",
    "Parts net / profit (pay type)": "Σ Net and Σ Profit of every parts line of the pay type in the period",
    "WIP (work in progress)": "at t = the earlier of ‘to’ and as-of: a labour line raised by t that has no "
    "document, or whose invoice or credit is dated after t; a job is open when it has such a line",
    "WIP value": "Σ labour Gross (allowed time × rate × contribution ÷ 100) of a job's open lines",
    "WIP hours": "Σ allowed hours of a job's open lines",
    "WIP age": "t − the earliest date raised of the job's open lines, in days; buckets 0–7, 8–30, 31–60, "
    "61–90, 91 and over",
    "Stock value": "Σ on-hand quantity × unit cost of the stock rows with a quantity above 0 (rows at 0 or "
    "below count nowhere)",
    "Stock age": "as-of − last sale date, or − last receipt date when the part never sold; buckets 0–3 months "
    "(≤ 90 days), 3–6 (91–180), 6–9 (181–270), 9–12 (271–365), over 12 (> 365, or no date at all)",
    "Cost of sales 12 months": "Σ parts Cost (quantity × cost price) of the parts lines dated as-of − 364 days "
    "to as-of",
    "Turns": "Cost of sales 12 months ÷ Stock value: how many times a year the stock sells through",
    "Days supply": "Stock value ÷ (Cost of sales 12 months ÷ 365): the days the stock lasts at the year's "
    "rate of sales",
    "Stock value share %": "the age bucket's stock value ÷ Stock value × 100; empty when the stock value is 0",
    "Obsolescence %": "value of the parts with no sale in 12 months (over 12 months bucket) ÷ Stock value × 100",
    "Obsolete parts": "the most valuable parts with no sale (or, never sold, no receipt) in the last 365 days",
    "Overheads": "Σ over the months of the period (from–to) of the month's overhead × days of the month inside "
    "the period ÷ days in the month, prorated over from–to, as targets are, even when as-of cuts the period short; "
    "empty when no overhead row covers the period",
    "Absorption %": "(parts Profit + labour Profit of the period) ÷ Overheads × 100: how much of the fixed "
    "overhead aftersales gross profit pays (the profit counts nothing dated after as-of, so a period that "
    "ends after as-of reads low until it is over)",
}

#: For each CSV of the report, the KPI (a key of KPIS) that defines each of its columns.
KPI_OF = {
    "summary": {
        "ros": "ROs (repair orders)", "hours_sold": "Hours sold", "hours_per_ro": "Hours per RO",
        "labour_net": "Labour net", "labour_per_ro": "Labour per RO", "workshop_parts_net": "Workshop parts net",
        "parts_per_ro": "Parts per RO", "parts_to_labour": "Parts to labour", "elr": "ELR (effective labour rate)",
        "gross_profit": "Gross profit", "overheads": "Overheads", "absorption_pct": "Absorption %",
        "stock_value": "Stock value", "cost_of_sales_12m": "Cost of sales 12 months", "turns": "Turns",
        "days_supply": "Days supply", "obsolescence_pct": "Obsolescence %",
    },
    "pay_types": {
        "pay_type": "Pay type", "ros": "ROs (repair orders)", "hours_sold": "Hours sold", "labour_net": "Labour net",
        "labour_profit": "Labour profit", "labour_gp_pct": "Labour GP%", "elr": "ELR (effective labour rate)",
        "hours_mix_pct": "Hours mix %", "parts_net": "Parts net / profit (pay type)",
        "parts_profit": "Parts net / profit (pay type)",
    },
    "wip": {"bucket": "WIP age", "jobs": "WIP (work in progress)", "hours": "WIP hours", "value": "WIP value"},
    "stock_ageing": {"bucket": "Stock age", "parts": "Stock age", "value": "Stock value",
                     "value_pct": "Stock value share %"},
}

#: How the pages and the spreadsheet show this report's columns (read by `present.tables.display`).
DISPLAY = {
    "money": ("labour_net", "labour_per_ro", "workshop_parts_net", "parts_per_ro", "elr", "gross_profit",
              "overheads", "labour_profit", "parts_net", "parts_profit", "stock_value", "cost_of_sales_12m",
              "unit_cost"),
    "hours": ("hours_sold", "hours_per_ro"),
    "labels": {"ros": "ROs", "hours_per_ro": "Hours per RO", "labour_per_ro": "Labour per RO",
               "workshop_parts_net": "Workshop parts net", "parts_per_ro": "Parts per RO", "elr": "ELR",
               "labour_gp_pct": "Labour GP%", "hours_mix_pct": "Hours mix %", "cost_of_sales_12m":
               "Cost of sales 12 months", "absorption_pct": "Absorption %", "obsolescence_pct": "Obsolescence %",
               "value_pct": "Share of value %", "age_days": "Age (days)", "on_hand_qty": "On hand",
               "target_pct": "Target %", "change_pct": "Change %"},
}
