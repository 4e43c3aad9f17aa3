"""What the explorer shows of each report: its filters, its view, and how the view is displayed.

A view is the report's grids and headline tiles for the period and filters on screen, computed
by the report module's own grid functions (`parts.activity(lines)` …) on the explorer's context
(`report.Context.view`: the period changed, the filters applied to the tables). Nothing here
computes a figure. Data-quality checks and the drill-down lists are left out of a view so that a
redraw stays quick; the drill-down computes its lists on demand (`drill.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aftersales import present
from aftersales.reports.drill import listed
from aftersales.reports.grids import Grid, in_period, sql_date


@dataclass(frozen=True)
class Filter:
    """A filter control: its choices come from `options` (SQL over the source's tables giving a
    value and, optionally, a label); a choice keeps the rows of each table in `where` meeting its
    condition, in which `{values}` is the chosen values as a SQL list."""

    name: str
    label: str
    options: str
    where: Mapping[str, str]
    needs: tuple[str, ...] = ()  # tables the options read (no choices when one is absent)
    #: SQL giving (value, name) from an optional table (`names_need`), so that a code shows as
    #: "R1 · Rita" as the rep filter's do; codes without a name there show alone.
    names: str = ""
    names_need: tuple[str, ...] = ()


def conditions(filters: Sequence[Filter], chosen: Mapping[str, Sequence]) -> dict[str, str]:
    """Table → SQL condition of the chosen filters: a row meets every filter with a choice, and
    within a filter any of the chosen values. Filters without a choice keep every row."""
    parts: dict[str, list[str]] = {}
    for f in filters:
        values = list(chosen.get(f.name) or ())
        if not values:
            continue
        for table, template in f.where.items():
            parts.setdefault(table, []).append("(" + template.format(values=listed(values)) + ")")
    return {table: " AND ".join(conds) for table, conds in parts.items()}


def options(ctx, f: Filter) -> list[tuple[str, Any]]:
    """The (label, value) choices of a filter, from the context's scope: the group's whole source, or
    a branch's rows of the tables that carry `branch` (empty when a table is absent)."""
    if any(not ctx.has(t) for t in f.needs):
        return []
    rows = ctx.source.con.sql(scoped(f.options, ctx.scope.filters(ctx.source))).fetchall()
    names = {}
    if f.names and all(ctx.has(t) for t in f.names_need):
        names = dict(ctx.source.con.sql(f.names).fetchall())
    out = []
    for row in rows:
        value = row[0]
        name = row[1] if len(row) > 1 else names.get(value)
        out.append((f"{value} · {name}" if name else str(value), value))
    return out


def scoped(sql: str, conditions: Mapping[str, str]) -> str:
    """`sql` reading each table of `conditions` (table → SQL condition: a scope's) through its
    condition: ``FROM parts_lines`` becomes ``FROM (SELECT * FROM parts_lines WHERE …) AS parts_lines``."""
    for table, condition in conditions.items():
        sql = re.sub(rf"\bFROM {table}\b", f"FROM (SELECT * FROM {table} WHERE {condition}) AS {table}", sql)
    return sql


@dataclass
class View:
    """A report for the period and filters on screen: its grids (what Export writes), the items
    shown in order (tiles, sections, grids, charts), and whether the selection kept no data."""

    grids: dict[str, Grid]
    panels: list = field(default_factory=list)
    empty: bool = False


@dataclass(frozen=True)
class Spec:
    """A report's explorer: its filters and the function computing its view from a context."""

    report: str
    filters: tuple[Filter, ...]
    compute: Callable[[Any], View]
    #: Said above the view when a filter is on (what the filters cannot reach).
    filter_note: str = ""


#: Bars per chart in the explorer: more are unreadable and slow to draw (a chart of 400
#: technicians takes seconds); the filter narrows the rows to chart.
CHART_LIMIT = 40


def _section(title: str) -> Any:
    return present.section(title, "explore-" + title.lower().replace(" ", "-"))


def _distinct(column: str, table: str) -> str:
    return f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY 1"


# ---------------------------------------------------------------- parts


def parts_view(ctx) -> View:
    """The Parts grids (purchasing aside: it depends on as-of only) and headline tiles."""
    from aftersales.reports import parts

    p = ctx.period
    lines = ctx.lines("parts_lines")
    grids = {
        "activity": parts.activity(lines),
        "departments": parts.departments(lines),
        "sales_types": parts.sales_types(lines),
        "operators": parts.operators(lines),
        "movement": parts.movement(lines, ctx.table("parts_movements"), p.start, p.last),
    }
    prior = parts.departments(ctx.lines("parts_lines", p.prior()))
    head = parts.headline(grids["departments"].total, prior.total)
    moved = grids["movement"].total
    head["first_pick_pct"] = float(moved["first_pick_pct"].iloc[0])
    head["vor_loss"] = float(moved["vor_loss"].iloc[0])
    g = grids
    panels = [
        present.tiles(parts.tiles(head)),
        _section("Activity"), present.grid(g["activity"]),
        present.sales_chart(g["activity"].rows, "date", "Daily parts net sales and GP%"),
        _section("Departments"), present.grid(g["departments"]),
        present.bar_chart(g["departments"].rows, "department", ["net", "profit"], "Sales by department"),
        _section("Sales types"), present.grid(g["sales_types"]),
        _section("Operators"), present.grid(g["operators"]),
        _section("Movement"), present.grid(g["movement"], legend=False),
    ]
    return View(grids, panels, empty=g["activity"].empty)


PARTS = Spec(
    "parts",
    (
        Filter("department", "Department", _distinct("department", "parts_lines"),
               {"parts_lines": "department IN ({values})"}),
        Filter("operator", "Operator", _distinct("operator", "parts_lines"),
               {"parts_lines": "operator IN ({values})"}),
        Filter("sale_type", "Sale type", _distinct("sale_type", "parts_lines"),
               {"parts_lines": "sale_type IN ({values})"}),
    ),
    parts_view,
    "Stock movements have no department, operator or sale type: the Movement grid's movement "
    "values are the whole stock's; its VOR loss and first pick follow the filters.",
)


# ---------------------------------------------------------------- labour


def labour_view(ctx) -> View:
    """The Labour grids with hours sold and the effective rate beside them, and the tiles."""
    from aftersales.reports import labour

    lines = ctx.lines("labour_lines")
    makers = {"activity": labour.activity, "departments": labour.departments,
              "labour_types": labour.labour_types, "operators": labour.operators}
    grids = {name: make(lines) for name, make in makers.items()}
    shown = {name: labour.with_rates(grids[name], labour.rates(lines, *labour.GRIDS[name])) for name in grids}
    prior = labour.departments(ctx.lines("labour_lines", ctx.period.prior()))
    head = labour.headline(grids["departments"].total, prior.total, labour.rates(lines, "department").total)
    panels = [
        present.tiles(labour.tiles(head)),
        _section("Activity"), present.grid(shown["activity"]),
        present.sales_chart(grids["activity"].rows, "date", "Daily labour net sales and GP%"),
        _section("Departments"), present.grid(shown["departments"]),
        _section("Labour types"), present.grid(shown["labour_types"]),
        present.sales_chart(grids["labour_types"].rows, "labour_type", "Labour net sales and GP% by labour type"),
        _section("Operators"), present.grid(shown["operators"]),
    ]
    return View(grids, panels, empty=grids["activity"].empty)


LABOUR = Spec(
    "labour",
    (
        Filter("department", "Department", _distinct("department", "labour_lines"),
               {"labour_lines": "department IN ({values})"}),
        Filter("operator", "Operator", _distinct("wip_owner", "labour_lines"),
               {"labour_lines": "wip_owner IN ({values})"}),
        Filter("labour_type", "Labour type", _distinct("labour_type", "labour_lines"),
               {"labour_lines": "labour_type IN ({values})"}),
    ),
    labour_view,
)


# ---------------------------------------------------------------- workshop


def workshop_view(ctx) -> View:
    """The technicians grid, its charts against the targets, and the tiles."""
    from aftersales.reports import workshop

    p = ctx.period
    grid = workshop.technicians(ctx.table("labour_lines"), ctx.table("clockings"), p.start, p.last, p.as_of)
    targets = {k: float(v) for k, v in ctx.params["workshop_targets"].items()}
    head = workshop.headline(grid.total, targets)
    rows = grid.rows
    if len(rows) <= CHART_LIMIT:
        charts = [
            present.bar_chart(rows, "technician", ["util_pct", "effi_pct", "pro_pct"],
                              "Util%, Effi% and Pro% per technician against targets",
                              targets=workshop.target_lines(targets)),
            present.bar_chart(rows, "technician", ["direct", "indirect", "idle"], "Attended hours per technician",
                              stacked=True),
        ]
    else:
        charts = [present.note(f"The charts show up to {CHART_LIMIT} technicians ({len(rows)} here): choose "
                               "technicians in the filter to chart them.")]
    panels = [
        present.tiles(workshop.tiles(head)),
        _section("Technicians"), present.grid(grid, legend=False),
        *charts,
    ]
    return View({"technicians": grid}, panels, empty=grid.empty)


WORKSHOP = Spec(
    "workshop",
    (
        Filter("technician", "Technician",
               "SELECT technician, arg_max(technician_name, clock_in) FROM clockings GROUP BY 1 "
               "UNION ALL SELECT DISTINCT technician, NULL FROM labour_lines WHERE technician IS NOT NULL "
               "AND technician NOT IN (SELECT technician FROM clockings) ORDER BY 1",
               {"labour_lines": "technician IN ({values})", "clockings": "technician IN ({values})"},
               needs=("clockings",)),
    ),
    workshop_view,
)


# ---------------------------------------------------------------- accounts


def accounts_view(ctx) -> View:
    """The account grids (period, year to date, months, owners, movers) and the tiles."""
    from aftersales.reports import accounts as acc

    p = ctx.period
    ytd = p.year_to_date()
    first = min(p.prior().start, ytd.prior().start, p.twelve_months().start)
    lines = _kept(ctx, "explore_accounts_lines", acc.sales_lines(
        ctx.table("parts_lines").filter(in_period("date_edit", first, p.last)),
        ctx.table("labour_lines").filter(in_period("date_edit", first, p.last))))
    info = acc.account_info(ctx.table("accounts"))
    reps = acc.rep_info(ctx.table("sales_reps"))
    top = int(ctx.params["report"]["top_accounts"])
    grid = acc.accounts_grid(lines, info, p)
    grids = {
        "accounts": grid,
        "ytd": acc.year_to_date(lines, info, p),
        "monthly": acc.monthly(lines, p),
        "monthly_totals": acc.monthly_totals(lines, p),
        "owners": acc.by_owner(lines, info, reps, p),
        "growing": acc.movers(grid, top, growing=True),
        "declining": acc.movers(grid, top, growing=False),
    }
    head = acc.headline(lines, p)
    g = grids
    panels = [
        present.tiles(acc.tiles(head)),
        _section("Accounts"), present.grid(g["accounts"], legend=False),
        _section("Year to date"), present.grid(g["ytd"], legend=False),
        _section("Monthly"), present.grid(g["monthly_totals"], legend=False),
        present.sales_chart(g["monthly_totals"].rows, "month", "Sales and GP% of all accounts by month", bars="sales"),
        _section("Growing and declining"), present.note("Growing accounts"), present.grid(g["growing"], legend=False),
        present.note("Declining accounts"), present.grid(g["declining"], legend=False),
        _section("Owners"), present.grid(g["owners"], legend=False),
        present.bar_chart(*_owners_chart(g["owners"].rows)),
    ]
    return View(grids, panels, empty=g["accounts"].empty and g["ytd"].empty)


def _owners_chart(rows):
    from aftersales.reports import accounts

    chosen, scope = accounts.charted_owners(rows)
    return chosen, "owner", ["sales", "margin"], "Sales and margin of each owner's accounts" + scope


def _reps_chart(rows):
    from aftersales.reports import sales

    chosen, scope = sales.charted_reps(rows)
    return chosen, "rep", ["sales_target", "sales"], "Sales: plan against fact" + scope


def _kept(ctx, name: str, lines):
    """The relation's rows kept in a table of the source's in-memory database, so that the
    view's grids read them once instead of scanning the source once per grid."""
    con = ctx.source.con
    con.execute(f"DROP TABLE IF EXISTS {name}")
    lines.create(name)
    return con.table(name)


#: A rep's name by its code (an account's owner is a rep).
_REP_NAMES = "SELECT rep, arg_max(name, name) FROM sales_reps WHERE rep IS NOT NULL GROUP BY rep"


def _of_accounts(where: str) -> str:
    return f"account IN (SELECT account FROM accounts WHERE {where})"


ACCOUNTS = Spec(
    "accounts",
    (
        Filter("account", "Account", "SELECT account, name FROM accounts ORDER BY account",
               {t: "account IN ({values})" for t in ("parts_lines", "labour_lines", "accounts")},
               needs=("accounts",)),
        Filter("owner", "Owner", _distinct("owner", "accounts"),
               {"parts_lines": _of_accounts("owner IN ({values})"),
                "labour_lines": _of_accounts("owner IN ({values})"), "accounts": "owner IN ({values})"},
               needs=("accounts",), names=_REP_NAMES, names_need=("sales_reps",)),
        Filter("territory", "Territory", _distinct("territory", "accounts"),
               {"parts_lines": _of_accounts("territory IN ({values})"),
                "labour_lines": _of_accounts("territory IN ({values})"), "accounts": "territory IN ({values})"},
               needs=("accounts",)),
    ),
    accounts_view,
    "Owner and territory are the account's (accounts table): lines of accounts missing from it "
    "are left out while one of these filters is on.",
)


# ---------------------------------------------------------------- sales


def sales_view(ctx) -> View:
    """The reps grid, plan against fact, territories, segments, channels and the funnel."""
    from aftersales.reports import crm, sales

    p = ctx.period
    parts, labour = ctx.table("parts_lines"), ctx.table("labour_lines")
    upto = f"date_edit <= {sql_date(p.last)}"
    period_sales = crm.account_sales(ctx.lines("parts_lines"), ctx.lines("labour_lines"))
    lifetime = crm.account_sales(parts.filter(upto), labour.filter(upto))
    data = crm.CrmData({name: ctx.table(name) for name in ("accounts", *crm.CRM_TABLES)}, period_sales, lifetime)
    try:
        grids = {"reps": sales.reps(data, p.start, p.end, p.last)}
        for name in crm.DIMENSIONS:
            grids[name] = crm.dimension(data, name, p.start, p.last)
        grids["funnel"] = crm.funnel(data, p.last)
        missing = {t: sales.MISSING[t] for t in crm.CRM_TABLES if not data.has(t)}
    finally:
        data.close()
    head = sales.headline(grids["reps"])
    g = grids

    def lacks(*tables: str) -> str:
        return " ".join(missing[t] for t in tables if t in missing)

    panels = [
        present.tiles(sales.tiles(head)),
        _section("Reps"), present.unless(lacks("sales_reps"), present.grid(g["reps"], legend=False)),
        _section("Plan against fact"), present.unless(
            lacks("sales_reps", "targets"),
            present.bar_chart(*_reps_chart(g["reps"].rows))),
        _section("Territories"), present.grid(g["territories"], legend=False),
        _section("Segments"), present.grid(g["segments"], legend=False),
        _section("Channels"), present.grid(g["channels"], legend=False),
        _section("Funnel"), present.unless(lacks("opportunities"), present.grid(g["funnel"], legend=False)),
    ]
    empty = all(g[n].empty for n in ("territories", "segments", "channels", "funnel")) and (
        g["reps"].empty or not g["reps"].rows[["sales", "margin"]].abs().to_numpy().any())
    return View(grids, panels, empty=empty)


_BY_REP = "rep IN ({values})"
_TERRITORY = "territory IN ({values})"
SALES = Spec(
    "sales",
    (
        Filter("rep", "Rep", "SELECT rep, name FROM sales_reps ORDER BY rep",
               {"sales_reps": _BY_REP, "accounts": "owner IN ({values})",
                "parts_lines": _of_accounts("owner IN ({values})"),
                "labour_lines": _of_accounts("owner IN ({values})"),
                "customer_issues": _of_accounts("owner IN ({values})"),
                "targets": _BY_REP, "leads": _BY_REP, "opportunities": _BY_REP, "activities": _BY_REP},
               needs=("sales_reps",)),
        Filter("territory", "Territory", _distinct("territory", "accounts"),
               {"accounts": _TERRITORY, "sales_reps": _TERRITORY, "leads": _TERRITORY,
                "parts_lines": _of_accounts(_TERRITORY), "labour_lines": _of_accounts(_TERRITORY),
                "customer_issues": _of_accounts(_TERRITORY), "activities": _of_accounts(_TERRITORY),
                "targets": "rep IN (SELECT rep FROM sales_reps WHERE territory IN ({values}))",
                "opportunities": f"{_of_accounts(_TERRITORY)} OR (COALESCE(account, '') NOT IN "
                                 "(SELECT account FROM accounts WHERE territory IS NOT NULL) AND lead_id IN "
                                 "(SELECT lead_id FROM leads WHERE territory IN ({values})))"},
               needs=("accounts",)),
    ),
    sales_view,
    "Rep keeps the rep's team row, the accounts it owns and its own leads, opportunities, activities "
    "and targets. Territory keeps the accounts of the territory, the reps whose home territory it is, "
    "the leads of the territory and the opportunities of its accounts (or of its leads when the "
    "account has no territory).",
)

# ---------------------------------------------------------------- operations


def operations_view(ctx) -> View:
    """Repair orders against last year, pay types and work in progress, with the landing tiles."""
    from aftersales.reports import operations_report

    rep = operations_report.build(ctx)
    panels = [
        present.tiles(operations_report.tiles(rep.headline)),
        _section("Repair orders"), present.frame(rep.change, table_id="explore-repair-orders"),
        _section("Pay types"), present.grid(rep.grids["pay_types"], legend=False),
        _section("Work in progress"), present.grid(rep.shown["wip"], legend=False),
    ]
    empty = rep.grids["pay_types"].empty and not float(rep.headline.get("ros") or 0)
    return View(rep.grids, panels, empty=empty)


OPERATIONS = Spec(
    "operations",
    (
        Filter("department", "Department",
               "SELECT DISTINCT department FROM labour_lines WHERE department IS NOT NULL "
               "UNION SELECT DISTINCT department FROM parts_lines WHERE department IS NOT NULL ORDER BY 1",
               {"labour_lines": "department IN ({values})", "parts_lines": "department IN ({values})"}),
    ),
    operations_view,
    "Overheads and the stock file have no department: absorption and stock figures stay the scope's own.",
)

SPECS = {s.report: s for s in (PARTS, LABOUR, WORKSHOP, OPERATIONS, ACCOUNTS, SALES)}
