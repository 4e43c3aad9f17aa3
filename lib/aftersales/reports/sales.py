"""The Sales performance report (SPEC §3 "Sales performance"): one row per rep, measured in
money (sales, margin, plan against fact, lifetime value against cost) beside the activity
that explains it. Pure grid functions over `crm.CrmData`, then `build(ctx)` and `tiles`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import pandas as pd

from aftersales.reports import crm
from aftersales.reports.crm import CRM_TABLES, CrmData, open_at, period_and_lifetime_sales, won_lost
from aftersales.reports.formulas import ratio, tidy
from aftersales.reports.grids import Grid, sql_date, top_rows
from aftersales.reports.quality import DataQuality

REP_COLUMNS = (
    "name", "sales", "margin", "sales_target", "sales_attainment_pct", "margin_target",
    "margin_attainment_pct", "activities", "customer_hours", "leads", "lead_cost", "cost_per_lead",
    "won", "lost", "win_rate_pct", "pipeline", "clv", "annual_cost", "clv_cost_ratio", "commission",
)

#: What each optional table fills, shown in place of its section when the source lacks it.
MISSING = {
    "sales_reps": "The reps grid needs a sales_reps table (rep, name, annual_cost, commission_rate): "
                  "the team whose accounts (accounts.owner) it measures.",
    "targets": "Plan against fact needs a targets table (rep, month YYYY-MM, sales_target, margin_target).",
    "leads": "Leads, lead cost and cost per lead need a leads table (lead_id, created_date, rep, channel, "
             "segment, territory, cost).",
    "opportunities": "Won, lost, win rate, the pipeline, the funnel and the models in the pipeline need an "
                     "opportunities table (opp_id, account, rep, stage, model, potential_revenue, "
                     "created_date, closed_date).",
    "activities": "Activities and customer hours need an activities table (activity_id, date, rep, account, "
                  "activity_type, duration_minutes).",
    "customer_issues": "Customer issues need a customer_issues table (issue_id, account, logged_date, "
                       "severity, category, resolved_date).",
}


def prorated_targets(data: CrmData, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Each rep's sales and margin targets for [start, end]: every month's target times the
    share of its days inside the period (days inside / days in the month)."""
    s, e = sql_date(start), sql_date(end)
    return data.sql(f"""
        SELECT rep, SUM(sales_target * share) AS sales_target, SUM(margin_target * share) AS margin_target
        FROM (SELECT *, CAST(GREATEST(0, LEAST({e}, last_day(first)) - GREATEST({s}, first) + 1) AS DOUBLE)
                        / day(last_day(first)) AS share
              FROM (SELECT *, TRY_CAST(month || '-01' AS DATE) AS first FROM targets))
        WHERE first IS NOT NULL GROUP BY rep ORDER BY rep""")


def reps(data: CrmData, start: dt.date, end: dt.date, last: dt.date) -> Grid:
    """A row per rep in sales_reps: the money of its accounts, plan against fact, activity,
    leads, won and lost, pipeline, lifetime value against cost, and commission.

    `start`..`last` are the period's days that count (`last` = min(to, as_of)); targets are
    prorated over `start`..`end`.
    """
    period = f"BETWEEN {sql_date(start)} AND {sql_date(last)}"
    frame = data.sql(f"""
        WITH acc AS (
            SELECT a.account, a.owner, COALESCE(p.sales, 0) AS sales, COALESCE(p.margin, 0) AS margin,
                   COALESCE(l.sales, 0) AS lifetime
            FROM accounts a LEFT JOIN period_sales p ON p.account = a.account
            LEFT JOIN lifetime_sales l ON l.account = a.account),
        own AS (SELECT owner AS rep, SUM(sales) AS sales, SUM(margin) AS margin, COUNT(*) AS accounts,
                       SUM(lifetime) AS lifetime FROM acc WHERE owner IS NOT NULL GROUP BY owner),
        act AS (SELECT rep, COUNT(*) AS activities, SUM(duration_minutes) / 60 AS customer_hours
                FROM activities WHERE date {period} GROUP BY rep),
        ld AS (SELECT rep, COUNT(*) AS leads, SUM(COALESCE(cost, 0)) AS lead_cost
               FROM leads WHERE created_date {period} GROUP BY rep),
        op AS (SELECT rep, {won_lost(start, last)},
                      SUM(potential_revenue) FILTER (WHERE {open_at(last)}) AS pipeline
               FROM opportunities GROUP BY rep)
        SELECT r.rep, r.name, own.sales, own.margin, own.accounts, own.lifetime,
               act.activities, act.customer_hours, ld.leads, ld.lead_cost, op.won, op.lost, op.pipeline,
               r.annual_cost, r.commission_rate
        FROM sales_reps r LEFT JOIN own ON own.rep = r.rep LEFT JOIN act ON act.rep = r.rep
        LEFT JOIN ld ON ld.rep = r.rep LEFT JOIN op ON op.rep = r.rep
        ORDER BY r.rep""")
    targets = prorated_targets(data, start, end)
    frame = frame.merge(targets, on="rep", how="left")
    crm._money(frame, ["sales", "margin", "lifetime"], True)
    crm._counts(frame, ["accounts"], True)
    crm._money(frame, ["sales_target", "margin_target"], data.has("targets"))
    crm._counts(frame, ["activities"], data.has("activities"))
    crm._money(frame, ["customer_hours"], data.has("activities"))
    crm._counts(frame, ["leads"], data.has("leads"))
    crm._money(frame, ["lead_cost"], data.has("leads"))
    crm._counts(frame, ["won", "lost"], data.has("opportunities"))
    crm._money(frame, ["pipeline"], data.has("opportunities"))
    for col in ("annual_cost", "commission_rate"):
        frame[col] = frame[col].astype("float64")
    frame = _rep_figures(tidy(frame))
    total = _rep_total(frame)
    grid = Grid("reps", frame[["rep", *REP_COLUMNS]].reset_index(drop=True), total, ("rep",))
    grid.notes.extend(f"Empty figures: {MISSING[t]}" for t in ("targets", "activities", "leads", "opportunities")
                      if not data.has(t))
    return grid


def _rep_figures(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["sales_attainment_pct"] = ratio(frame["sales"], frame["sales_target"])
    frame["margin_attainment_pct"] = ratio(frame["margin"], frame["margin_target"])
    frame["cost_per_lead"] = ratio(frame["lead_cost"], frame["leads"], 1)
    frame["win_rate_pct"] = ratio(frame["won"], frame["won"] + frame["lost"])
    frame["clv"] = ratio(frame["lifetime"], frame["accounts"], 1)
    if "commission_rate" in frame:
        frame["clv_cost_ratio"] = ratio(frame["clv"], frame["annual_cost"], 1)
        frame["commission"] = frame["margin"] * frame["commission_rate"] / 100
    return frame


def _rep_total(frame: pd.DataFrame) -> pd.DataFrame:
    """Sums of the team, its ratios recomputed from them; CLV over all the team's accounts."""
    sums = ["sales", "margin", "sales_target", "margin_target", "activities", "customer_hours", "leads",
            "lead_cost", "won", "lost", "pipeline", "lifetime", "accounts", "annual_cost", "commission"]
    total = pd.DataFrame([{c: frame[c].sum(min_count=1) if len(frame) else math.nan for c in sums}])
    total = _rep_figures(total)
    total["clv_cost_ratio"] = math.nan  # a team's average customer against its total cost means nothing
    return total[list(REP_COLUMNS[1:])]


#: The most reps a chart draws (the reps grid and the CLV ranking list every one).
CHART_REPS = 20


def charted_reps(rows: pd.DataFrame, top: int = CHART_REPS) -> tuple[pd.DataFrame, str]:
    """The reps the plan-against-fact charts draw (`grids.top_rows`): those of the highest sales,
    in the grid's order."""
    return top_rows(rows, "sales", "rep", top, "of the highest sales")


def clv_ranking(grid: Grid) -> pd.DataFrame:
    """Reps ranked by CLV / cost, best first (empty ratios last)."""
    rows = grid.rows[["rep", "name", "clv", "annual_cost", "clv_cost_ratio"]]
    rows = rows.sort_values(["clv_cost_ratio", "rep"], ascending=[False, True], na_position="last")
    rows = rows.reset_index(drop=True)
    rows.insert(0, "rank", range(1, len(rows) + 1))
    return rows


# ---------------------------------------------------------------- data quality

def quality(data: CrmData, start: dt.date, last: dt.date, as_of: dt.date):
    """Rows the Sales report reads but cannot place, and what it does with them."""
    return _quality(data, start, last, as_of)


def _quality(data: CrmData, start: dt.date, last: dt.date, as_of: dt.date, limit: int | None = None):
    """`quality`; with `limit`, each list holds its first `limit` rows (the check counts them all)."""
    dq = DataQuality()
    period = f"BETWEEN {sql_date(start)} AND {sql_date(last)}"
    reps_known = "SELECT rep FROM sales_reps"
    checks = [
        ("accounts with sales in the period that are not in accounts", True,
         "SELECT p.account, p.sales, p.margin FROM period_sales p "
         "WHERE p.account NOT IN (SELECT account FROM accounts) OR p.account IS NULL ORDER BY 1",
         "counted in territories, segments and channels with an empty key; in no rep's row"),
        ("accounts without an owner", True,
         "SELECT account, name FROM accounts WHERE owner IS NULL ORDER BY account",
         "their sales count in territories, segments and channels; in no rep's row"),
        ("accounts whose owner is not a rep", data.has("sales_reps"),
         f"SELECT account, name, owner FROM accounts WHERE owner NOT IN ({reps_known}) ORDER BY account",
         "their sales count in territories, segments and channels; in no rep's row"),
        ("activities in the period without an account", data.has("activities"),
         f"SELECT activity_id, date, rep, activity_type, duration_minutes FROM activities "
         f"WHERE account IS NULL AND date {period} ORDER BY date, activity_id",
         "counted in the rep's activities and customer hours"),
        ("activities in the period of unknown reps", data.has("activities") and data.has("sales_reps"),
         f"SELECT activity_id, date, rep FROM activities WHERE date {period} "
         f"AND rep NOT IN ({reps_known}) ORDER BY date, activity_id",
         "in no rep's row"),
        ("leads in the period of unknown reps", data.has("leads") and data.has("sales_reps"),
         f"SELECT lead_id, created_date, rep FROM leads WHERE created_date {period} "
         f"AND rep NOT IN ({reps_known}) ORDER BY created_date, lead_id",
         "counted by territory, segment and channel; in no rep's row"),
        ("opportunities of unknown reps", data.has("opportunities") and data.has("sales_reps"),
         f"SELECT opp_id, rep, stage, potential_revenue FROM opportunities "
         f"WHERE rep NOT IN ({reps_known}) ORDER BY opp_id",
         "counted in the funnel and by territory, segment and channel; in no rep's row"),
        ("won or lost opportunities without a closed date", data.has("opportunities"),
         "SELECT opp_id, rep, stage FROM opportunities WHERE stage IN ('won', 'lost') AND closed_date IS NULL "
         "ORDER BY opp_id",
         "not counted as won or lost; counted as open in the pipeline and funnel"),
        ("targets of unknown reps", data.has("targets") and data.has("sales_reps"),
         f"SELECT rep, month, sales_target, margin_target FROM targets WHERE rep NOT IN ({reps_known}) "
         "ORDER BY rep, month",
         "in no rep's row"),
        ("customer issues whose account is not in accounts", data.has("customer_issues"),
         "SELECT issue_id, account, logged_date FROM customer_issues "
         "WHERE account NOT IN (SELECT account FROM accounts) ORDER BY issue_id",
         "counted under an empty territory"),
    ]
    for check, applies, sql, treatment in checks:
        if applies:
            if limit is None:
                detail = data.sql(sql)
                dq.add(check, len(detail), treatment, detail)
            else:
                detail, rows = data.first(sql, limit)
                dq.add(check, rows, treatment, detail)
    later = {"activities": "date", "leads": "created_date", "opportunities": "created_date",
             "customer_issues": "logged_date"}
    for table, column in later.items():
        if data.has(table):
            n = data.count(f"SELECT * FROM {table} WHERE {column} > {sql_date(as_of)}")
            dq.add(f"{table} dated after as-of", n, "set aside (data after as-of never counts)")
    return dq


# ---------------------------------------------------------------- the report

KPIS = {
    "Sales": "parts Net + invoiced labour Net of the rep's accounts (accounts.owner) in the period",
    "Margin": "parts Profit + invoiced labour Profit of the same lines",
    "Sales / margin target": "Σ of each month's target × (days of the month inside the period ÷ days in "
                             "the month)",
    "Attainment %": "actual ÷ target × 100 (sales and margin); empty when the target is 0 or absent",
    "Activities": "the rep's activities dated in the period (with or without an account)",
    "Customer hours": "Σ duration_minutes ÷ 60 of those activities",
    "Leads": "leads created in the period",
    "Lead cost": "Σ cost of those leads (an empty cost counts as 0)",
    "Cost per lead": "Lead cost ÷ Leads; empty when there are no leads",
    "Won / Lost": "opportunities of stage won / lost whose closed date is in the period",
    "Win rate %": "Won ÷ (Won + Lost) × 100",
    "Pipeline": "Σ potential revenue of opportunities created by ‘to’ and not closed by ‘to’ "
                "(closed date empty or later)",
    "CLV": "average over the rep's accounts of each account's lifetime sales (every parts and invoiced "
           "labour sale dated up to ‘to’); an account with no sales counts as 0; empty for a rep with no "
           "accounts",
    "CLV / cost": "CLV ÷ annual cost (a rep costing 100,000 whose customers average 500,000 scores 5); "
                  "empty when the cost is 0 or empty; not given for the team",
    "Commission": "Margin × commission rate ÷ 100; empty when the rate is empty",
    "GP%": "Margin ÷ Gross × 100 (Gross = parts Gross + invoiced labour Gross)",
    "Efficiency": "channel Sales ÷ Lead cost: sales per unit spent on leads",
    "Funnel": "opportunities open at ‘to’ (created by then, not closed by then), by their stage",
    "Open issues": "customer issues logged by ‘to’ and not resolved by ‘to’, by severity",
    "Average days to resolve": "Σ (resolved − logged) days ÷ issues resolved in the period",
}

NOTES = [
    "A rep's figures are those of the accounts it owns (accounts.owner); leads, activities and "
    "opportunities go by their own rep.",
    "CLV averages every account a rep owns: an account with no sales up to ‘to’ counts as 0.",
    "Targets are prorated by the days of each month inside the period (from–to), even when as-of "
    "cuts the period short; nothing dated after as-of counts, and ‘to’ means the earlier of to and as-of "
    "for the pipeline, the funnel and open issues.",
    "Territories, segments and channels: sales go by the account's attribute, leads by the lead's own; "
    "won and lost go by the opportunity's account, or by its lead when the account is empty or has none.",
    "The funnel shows each open opportunity at its current stage.",
]


@dataclass
class SalesReport:
    grids: dict[str, Grid]
    clv_ranking: pd.DataFrame
    segment_ranking: pd.DataFrame
    quality: "DataQuality"
    headline: dict
    missing: dict[str, str]
    notes: list[str] = field(default_factory=list)
    #: the reps the plan-against-fact charts draw and the words their titles add (`charted_reps`)
    chart_reps: pd.DataFrame = field(default_factory=pd.DataFrame)
    reps_scope: str = ""
    #: the reps the CLV / cost chart draws, best first, and the words its title adds
    clv_chart: pd.DataFrame = field(default_factory=pd.DataFrame)
    clv_scope: str = ""

    def lacks(self, *tables: str) -> str:
        """What data would fill a section needing `tables` (those the source lacks), or ""."""
        return " ".join(self.missing[t] for t in tables if t in self.missing)


def build(ctx) -> SalesReport:
    """Every grid of the Sales report for the context's period, saved as CSV when a run asks."""
    p = ctx.period
    # the period's and lifetime sales per account, and the lines read: one pass over each table
    period_sales, lifetime, read = period_and_lifetime_sales(ctx.table("parts_lines"), ctx.table("labour_lines"),
                                                             p.start, p.last)
    tables = {name: ctx.table(name) for name in ("accounts", *CRM_TABLES)}
    data = CrmData(tables, period_sales, lifetime)
    grids = {"reps": reps(data, p.start, p.end, p.last)}
    for name in crm.DIMENSIONS:
        grids[name] = crm.dimension(data, name, p.start, p.last)
    grids["funnel"] = crm.funnel(data, p.last)
    grids["models"] = crm.models(data, p.last)
    grids["issues"] = crm.issues(data, p.start, p.last)
    dq = _quality(data, p.start, p.last, p.as_of, int(ctx.params["report"]["drilldown_rows"]))
    head = headline(grids["reps"])
    prior = p.prior()
    prior_sales = crm.account_sales(*(ctx.lines(name, prior) if ctx.source.has(name) else None
                                      for name in ("parts_lines", "labour_lines")))  # that window only
    head["sales_attainment_pct_prior"] = team_attainment(data, prior_sales, prior.start, prior.end)
    missing = {t: MISSING[t] for t in CRM_TABLES if not data.has(t)}
    set_aside = sum(c["rows"] for c in dq.checks if c["check"].endswith("dated after as-of"))
    data.close()
    ctx.save_all(grids)
    ctx.record(headline=head, tiles=tiles(head)[:1],
               rows={"read": read, "used": read, "set_aside": set_aside}, quality=dq.checks)
    ranking = clv_ranking(grids["reps"])
    chart_reps, reps_scope = charted_reps(grids["reps"].rows)
    clv_chart, clv_scope = top_rows(ranking, "clv_cost_ratio", "rep", CHART_REPS, "best")
    return SalesReport(grids, ranking, crm.ranking(grids["segments"]), dq, head, missing, list(NOTES),
                       chart_reps, reps_scope, clv_chart, clv_scope)


def team_attainment(data: CrmData, sales: pd.DataFrame, start: dt.date, end: dt.date) -> float:
    """Σ sales of the accounts owned by the team's reps ÷ Σ their targets prorated over start..end × 100
    (the reps grid's totals row, for another window's sales, e.g. the prior year's)."""
    if not (data.has("sales_reps") and data.has("targets")) or sales.empty:
        return math.nan
    owned = data.sql("SELECT a.account FROM accounts a JOIN sales_reps r ON a.owner = r.rep")["account"]
    actual = float(sales.loc[sales["account"].isin(set(owned)), "sales"].sum())
    target = float(prorated_targets(data, start, end)["sales_target"].sum())
    return ratio(actual, target)


def headline(reps_grid: Grid) -> dict:
    """The team's figures: the totals row of the reps grid."""
    total = reps_grid.total.iloc[0] if reps_grid.total is not None else pd.Series(dtype="float64")
    keys = ("sales", "margin", "sales_target", "sales_attainment_pct", "margin_attainment_pct",
            "pipeline", "won", "win_rate_pct", "leads", "cost_per_lead", "customer_hours")
    return {k: float(total[k]) if k in total and pd.notna(total[k]) else math.nan for k in keys}


def tiles(head: dict) -> list[dict]:
    """The Sales headline tiles; the first (team sales attainment) goes on the landing page."""
    target = head["sales_target"]
    target_text = "" if math.isnan(target) else f"{head['sales']:,.2f} of {target:,.2f} planned"
    now, before = head["sales_attainment_pct"], head.get("sales_attainment_pct_prior", math.nan)
    change = now - before if not (math.isnan(now) or math.isnan(before)) else math.nan
    if not math.isnan(change):
        target_text = f"{change:+.1f} pts vs prior year · " + target_text
    return [
        {"label": "Team sales attainment %", "value": now, "kind": "ratio", "change": change,
         "change_text": target_text},
        {"label": "Team sales", "value": head["sales"], "kind": "money"},
        {"label": "Team margin", "value": head["margin"], "kind": "money"},
        {"label": "Pipeline", "value": head["pipeline"], "kind": "money"},
        {"label": "Win rate %", "value": head["win_rate_pct"], "kind": "ratio"},
        {"label": "Cost per lead", "value": head["cost_per_lead"], "kind": "money"},
    ]
