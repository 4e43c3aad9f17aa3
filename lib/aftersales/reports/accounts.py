"""The Accounts report (SPEC §3 "Accounts"): the customer view of parts and labour sales.

- `account_sums`: the sales lines and every sum of the report from one pass over them;
- `account_grids`: the grids and the headline from those sums;
- here: the report a notebook or a run builds (`build`), its tiles and its KPI dictionary. The
  alerts are `alerts`; the emails are written from the report by `notify.deliver`.

Every name of those modules that a notebook, a view or a test uses is reachable here as
`accounts.<name>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from aftersales.reports.account_grids import (
    ACCOUNT_COLUMNS,
    MONTHLY_COLUMNS,
    OWNER_COLUMNS,
    YTD_COLUMNS,
    _accounts_grid,
    _by_owner,
    _headline,
    _monthly,
    _monthly_totals,
    _unknown_accounts,
    _year_to_date,
    accounts_grid,
    by_owner,
    headline,
    monthly,
    monthly_totals,
    movers,
    top_monthly,
    unknown_accounts,
    year_to_date,
)
from aftersales.reports.account_sums import (
    INFO_COLUMNS,
    MEASURES,
    AccountSums,
    account_info,
    account_sums,
    compare,
    rep_info,
    report_windows,
    sales_lines,
)
from aftersales.reports.formulas import INVOICED
from aftersales.reports.grids import Grid, in_period, query, top_rows
from aftersales.reports.quality import DataQuality

__all__ = [
    "ACCOUNT_COLUMNS", "CHART_OWNERS", "INFO_COLUMNS", "KPIS", "MEASURES", "MONTHLY_COLUMNS", "OWNER_COLUMNS",
    "YTD_COLUMNS", "AccountSums", "AccountsReport", "account_info", "account_sums", "accounts_grid", "build",
    "by_owner", "charted_owners", "compare", "headline", "landing_tiles", "monthly", "monthly_totals", "movers",
    "rep_info", "report_windows", "sales_lines", "tiles", "top_monthly", "unknown_accounts", "year_to_date",
]

KPIS = {
    "Sales": "parts Net + labour Net (invoiced labour lines only); Net = value after discount",
    "Margin": "parts Profit + labour Profit (Profit = Net − Cost)",
    "Gross": "parts Gross + labour Gross (list value before discount)",
    "GP%": "Margin ÷ Gross × 100, from the account's sums; empty when Gross is 0",
    "Prior": "the same dates one year earlier (29 February → 28 February); data after as-of never counts, "
    "so when the period ends after as-of the prior period ends at as-of one year earlier: like for like",
    "Growth %": "(Sales − Prior sales) ÷ |Prior sales| × 100; empty when prior sales are 0",
    "GP% change (pts)": "GP% − Prior GP%, in percentage points; empty when either is empty",
    "Year to date": "1 January of the period's last year to its end, against the same dates a year earlier",
    "Monthly": "sales and margin per calendar month, twelve months ending with the period's last month",
    "gp_drop alert": "an account whose GP% fell by at least the threshold (points) against the prior period",
    "sales_decline alert": "an account whose sales fell by at least the threshold (%) against the prior period",
    "large_document alert": "an invoice whose Net over its parts and labour lines dated in the period is at "
                            "least the threshold; credits never alert",
}


# ---------------------------------------------------------------- the report


@dataclass
class AccountsReport:
    grids: dict[str, Grid]
    headline: dict
    alerts: pd.DataFrame
    quality: "DataQuality"
    top_chart: pd.DataFrame
    emails: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: the owners the owners chart draws, and the words its title adds
    owners_chart: pd.DataFrame | None = None
    owners_scope: str = ""
    #: the accounts' names and owners, and the reps: what the emails of the run are addressed with
    info: pd.DataFrame | None = None
    reps: pd.DataFrame | None = None

    def owner_names(self) -> dict[str, str]:
        """Each rep's name by code (`sales_reps`): a page shows an account's owner as "S01 · Sam Reed"."""
        if self.reps is None:
            return {}
        return {str(rep): name for rep, name in zip(self.reps["rep"], self.reps["name"])
                if isinstance(name, str) and name}


#: The most owners the owners chart draws (the owners grid holds every one).
CHART_OWNERS = 20


def charted_owners(rows: pd.DataFrame, top: int = CHART_OWNERS) -> tuple[pd.DataFrame, str]:
    """The owners the chart draws (`grids.top_rows`; no owner shown as "(none)"): those of the
    highest sales, in the grid's order."""
    return top_rows(rows.fillna({"owner": "(none)"}), "sales", "owner", top, "of the highest sales")


def build(ctx) -> AccountsReport:
    """Every grid of the Accounts report and the alerts; saved when a run asks (the emails are
    written from the report by `notify.deliver`)."""
    from aftersales.reports import alerts as alert_rules

    period = ctx.period
    ytd = period.year_to_date()
    first = min(period.prior().start, ytd.prior().start, period.twelve_months().start)
    parts = ctx.table("parts_lines").filter(in_period("date_edit", first, period.last))
    labour = ctx.table("labour_lines").filter(in_period("date_edit", first, period.last))
    lines = sales_lines(parts, labour)
    info = account_info(ctx.table("accounts"))
    reps = rep_info(ctx.table("sales_reps"))
    top = int(ctx.params["report"]["top_accounts"])

    totals = account_sums(lines, period)  # every sum below comes from this one pass
    accounts = _accounts_grid(totals, info)
    grids = {
        "accounts": accounts,
        "ytd": _year_to_date(totals, info),
        "monthly": _monthly(totals),
        "monthly_totals": _monthly_totals(totals),
        "owners": _by_owner(totals, info, reps),
        "growing": movers(accounts, top, growing=True),
        "declining": movers(accounts, top, growing=False),
    }
    months = list(grids["monthly_totals"].rows["month"])
    chart = top_monthly(grids["monthly"].rows, months, top)
    head = _headline(totals)
    alerts = alert_rules.evaluate(accounts.rows, lines, period, ctx.params["alerts"], info, reps)
    notes = []
    if ctx.table("sales_reps") is None:
        notes.append("The source has no sales_reps table: owners are shown by code and alert emails "
                     "go to the catch-all address.")

    quality = DataQuality()
    counts = query(ctx.lines("parts_lines"), "SELECT COUNT(*) AS n FROM lines")["n"].iloc[0]
    labour_counts = query(ctx.lines("labour_lines"), f"SELECT COUNT(*) FILTER (WHERE {INVOICED}) AS invoiced, "
                                                     f"COUNT(*) FILTER (WHERE NOT ({INVOICED})) AS open FROM lines")
    invoiced, uninvoiced = int(labour_counts["invoiced"].iloc[0]), int(labour_counts["open"].iloc[0])
    quality.add("parts lines in the period", int(counts), "all counted")
    quality.add("invoiced labour lines in the period", invoiced, "all counted")
    quality.add("un-invoiced labour lines edited in the period", uninvoiced,
                "not counted: only invoiced labour is a sale")
    unknown = _unknown_accounts(totals, info)
    listed = unknown.head(int(ctx.params["report"]["drilldown_rows"]))  # the check counts them all
    listed.attrs["rows"] = len(unknown)
    quality.add("accounts with sales in the period that are missing from accounts", len(unknown),
                "counted (they are sales); name and owner empty; their alerts go to the catch-all address", listed)
    no_email = alert_rules.owners_without_email(alerts)
    quality.add("owners with alerts but no email in sales_reps", len(no_email),
                "their alert email is addressed to the catch-all address",
                pd.DataFrame({"owner": no_email}))

    for name in ("accounts", "monthly", "ytd", "monthly_totals", "owners"):
        ctx.save(grids[name].rows, name)
    ctx.save_file(alert_rules.for_csv(alerts), "alerts.csv")
    read = int(counts) + invoiced + uninvoiced
    ctx.record(
        headline=head,
        tiles=landing_tiles(head),
        alerts=len(alerts),
        rows={"read": read, "used": int(counts) + invoiced, "set_aside": uninvoiced},
        quality=quality.checks,
    )
    owners_chart, owners_scope = charted_owners(grids["owners"].rows)
    return AccountsReport(grids, head, alerts, quality, chart, [], notes, owners_chart, owners_scope, info, reps)


# ---------------------------------------------------------------- tiles


def tiles(head: dict) -> list[dict]:
    """Sales, margin and GP% of the period and the year to date, each with its change vs prior year."""
    out = []
    for key, when in (("period", ""), ("ytd", " (year to date)")):
        h = head[key]
        gp_change = h["gp_change_pts"]
        out += [
            {"label": f"Sales{when}", "value": h["sales"], "kind": "money", "change": h["growth_pct"],
             "change_text": _change_text(h["sales"] - h["sales_prior"], h["growth_pct"])},
            {"label": f"Margin{when}", "value": h["margin"], "kind": "money", "change": h["margin_growth_pct"],
             "change_text": _change_text(h["margin"] - h["margin_prior"], h["margin_growth_pct"])},
            {"label": f"GP%{when}", "value": h["gp_pct"], "kind": "ratio", "change": gp_change,
             "change_text": "" if gp_change != gp_change else f"{gp_change:+.1f} pts vs prior year"},
        ]
    return out


def landing_tiles(head: dict) -> list[dict]:
    """The landing page's tiles: accounts sales and total GP% (parts + labour) vs prior year."""
    all_tiles = tiles(head)
    sales, gp = all_tiles[0], all_tiles[2]
    return [{**sales, "label": "Accounts sales"}, {**gp, "label": "GP% (parts + labour)"}]


def _change_text(delta: float, pct: float) -> str:
    pct_text = "" if pct != pct else f" ({pct:+.1f} %)"
    return f"{delta:+,.2f}{pct_text} vs prior year"
