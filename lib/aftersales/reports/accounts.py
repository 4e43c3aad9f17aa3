"""The Accounts report (SPEC §3 "Accounts"): the customer view of parts and labour sales.

Pure functions: relations (or frames) and periods in → grids out. Every sum runs in DuckDB
over one relation of *sales lines* (parts lines and invoiced labour lines, each valued with
the shared formulas of `formulas.py`); growth and GP% are then derived from those sums.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from aftersales.reports.formulas import ACCOUNT_SUMS, INVOICED, LABOUR_VALUES, PARTS_VALUES, floating, ratio, tidy
from aftersales.reports.grids import Grid, Lines, in_period, query, relation, top_rows
from aftersales.reports.periods import Period
from aftersales.run.context import DataQuality

#: The columns of tables/accounts/accounts.csv (SPEC §5).
ACCOUNT_COLUMNS = ("account", "name", "owner", "territory", "segment", "sales", "sales_prior", "growth_pct",
                   "margin", "margin_prior", "gross", "gp_pct", "gp_pct_prior", "gp_change_pts")
#: The columns of tables/accounts/monthly.csv (SPEC §5).
MONTHLY_COLUMNS = ("account", "month", "sales", "margin")
#: Year to date against the prior year to date (tables/accounts/ytd.csv).
YTD_COLUMNS = ("account", "name", "owner", "territory", "segment", "sales_ytd", "sales_ytd_prior", "growth_pct",
               "margin_ytd", "margin_ytd_prior", "gp_pct", "gp_pct_prior", "gp_change_pts")
OWNER_COLUMNS = ("owner", "name", "accounts", "sales", "sales_prior", "growth_pct", "margin", "margin_prior",
                 "gp_pct", "gp_pct_prior", "gp_change_pts")
INFO_COLUMNS = ("account", "name", "owner", "territory", "segment", "email")

#: What an account's figures sum, by the line value they come from.
MEASURES = ACCOUNT_SUMS



# ---------------------------------------------------------------- sales lines


def sales_lines(parts: Lines, labour: Lines) -> duckdb.DuckDBPyRelation:
    """Parts lines and invoiced labour lines as one relation of sales lines.

    Columns: kind (`parts`/`labour`), account, document, doc_type, date (the reporting
    date, date_edit), gross, net, profit. Un-invoiced labour lines are not sales.
    """
    def select(values: Mapping[str, str], kind: str, where: str = "") -> str:
        measures = ", ".join(f"{floating(values)[m]} AS {m}" for m in ("gross", "net", "profit"))
        return (f"SELECT '{kind}' AS kind, account, document, doc_type, date_edit AS date, {measures} "
                f"FROM lines {where}")

    p = relation(parts).query("lines", select(PARTS_VALUES, "parts"))
    lab = relation(labour).query("lines", select(LABOUR_VALUES, "labour", f"WHERE {INVOICED}"))
    try:
        return p.union(lab)
    except duckdb.InvalidInputException:  # a frame and a relation of another connection
        return duckdb.from_df(pd.concat([p.df(), lab.df()], ignore_index=True))


def account_info(accounts: Lines | None) -> pd.DataFrame:
    """Name, owner, territory, segment and contact email per account (empty when no table)."""
    if accounts is None:
        return pd.DataFrame({c: pd.Series([], dtype="object") for c in INFO_COLUMNS})
    return query(accounts, f"SELECT {', '.join(INFO_COLUMNS)} FROM lines ORDER BY account")


def rep_info(reps: Lines | None) -> pd.DataFrame:
    """Name and email per rep (sales_reps is optional: empty when absent)."""
    if reps is None:
        return pd.DataFrame({c: pd.Series([], dtype="object") for c in ("rep", "name", "email")})
    return query(reps, "SELECT rep, name, email FROM lines ORDER BY rep")


def _info_frame(accounts: Lines | pd.DataFrame | None) -> pd.DataFrame:
    if isinstance(accounts, pd.DataFrame) and set(INFO_COLUMNS) <= set(accounts.columns):
        return accounts
    return account_info(accounts)


# ---------------------------------------------------------------- sums


def _filled(frame: pd.DataFrame, measures: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for col in measures:
        frame[col] = frame[col].astype("float64").fillna(0.0)
    return tidy(frame, measures).reset_index(drop=True)


def report_windows(period: Period) -> dict[str, Period]:
    """The windows of the Accounts report: the period and the year to date, each with its prior
    year, and the twelve months ending with the period's last month."""
    ytd = period.year_to_date()
    return {"now": period, "prior": period.prior(), "ytd": ytd, "ytd_prior": ytd.prior(),
            "twelve": period.twelve_months()}


@dataclass
class AccountSums:
    """Every sum of the Accounts report from one pass over the sales lines (`account_sums`)."""

    windows: dict[str, Period]
    #: per account with a line in any window: `n_<window>` and the raw sums (NULL where none)
    raw: pd.DataFrame
    #: the same per account, sums 0 where none and rounded
    accounts: pd.DataFrame
    #: one row: the sums over every line
    total: pd.DataFrame
    #: per account and month of the twelve months: sales, margin, gross
    monthly: pd.DataFrame
    #: per month of the twelve months, every account together
    months: pd.DataFrame

    def having(self, *names: str) -> pd.DataFrame:
        """The accounts with a line in any of the windows `names`."""
        rows = self.accounts
        mask = pd.Series(False, index=rows.index)
        for name in names:
            mask |= rows[f"n_{name}"] > 0
        return rows[mask].reset_index(drop=True)


def account_sums(lines: Lines, period: Period, months: bool = True) -> AccountSums:
    """Sales, margin and gross per account in every window of `report_windows(period)` and their
    totals; with `months`, per account × month and per month of the twelve months.

    One SQL pass sums the lines per account, month and set of windows the line falls in (a
    bit per window): each line value is computed once, into a few hundred thousand cells at
    most, which are then added up per window and per month here.
    """
    wins = report_windows(period)
    conds = {name: in_period("date", p.start, p.last) for name, p in wins.items()}
    bits = " + ".join(f"(CASE WHEN {cond} THEN {1 << i} ELSE 0 END)" for i, cond in enumerate(conds.values()))
    cells = query(
        lines,
        f"SELECT account, year(date) * 100 + month(date) AS month, {bits} AS windows, COUNT(*) AS n, "
        f"{', '.join(f'SUM({src}) AS {m}' for m, src in MEASURES.items())} "
        f"FROM lines WHERE {' OR '.join(f'({c})' for c in conds.values())} GROUP BY ALL",
    )
    # the cells are added up per window and per month with the accounts numbered once (in
    # order, an empty account last): a few hundred thousand cells, a few array sums
    codes, keys = pd.factorize(cells["account"], sort=True)
    accounts_in_order = [*keys, *([None] if (codes < 0).any() else [])]
    codes = np.where(codes < 0, len(keys), codes)
    size = len(accounts_in_order)
    windows, counts = cells["windows"].to_numpy(), cells["n"].to_numpy()
    values = {m: cells[m].to_numpy(dtype="float64", na_value=np.nan) for m in MEASURES}
    per_account, total = {"account": pd.array(accounts_in_order, dtype=object)}, {}
    for i, name in enumerate(conds):
        inside = (windows & (1 << i)) != 0
        per_account[f"n_{name}"] = _add_up(codes[inside], counts[inside], size, empty=0).astype("int64")
        total[f"n_{name}"] = int(counts[inside].sum())
        for m in MEASURES:
            per_account[f"{m}_{name}"] = _add_up(codes[inside], values[m][inside], size)
            total[f"{m}_{name}"] = _add_up(np.zeros(int(inside.sum()), dtype="int64"), values[m][inside], 1)[0]
    order = [f"n_{name}" for name in conds] + [f"{m}_{name}" for name in conds for m in MEASURES]
    raw = pd.DataFrame(per_account)[["account", *order]]
    measures = [f"{m}_{name}" for name in wins for m in MEASURES]
    total_row = _filled(pd.DataFrame([{"account": None, **total}])[["account", *order]], measures)
    if months:
        twelve = (windows & (1 << list(conds).index("twelve"))) != 0
        month_codes, month_keys = pd.factorize(cells["month"].to_numpy()[twelve], sort=True)
        names = [f"{n // 100:04d}-{n % 100:02d}" for n in month_keys]  # YYYY-MM
        cell = codes[twelve] * len(names) + month_codes  # by account, then month
        present, where = np.unique(cell, return_inverse=True)
        monthly = pd.DataFrame({
            "account": pd.array([accounts_in_order[c] for c in present // max(len(names), 1)], dtype=object),
            "month": [names[c] for c in present % max(len(names), 1)],
            **{m: _add_up(where, values[m][twelve], len(present), empty=0.0) for m in MEASURES}})
        months_rows = pd.DataFrame({"month": names, **{m: _add_up(month_codes, values[m][twelve], len(names),
                                                                   empty=0.0) for m in MEASURES}})
    else:
        monthly = pd.DataFrame(columns=["account", "month", "sales", "margin", "gross"])
        months_rows = pd.DataFrame(columns=["month", "sales", "margin", "gross"])
    return AccountSums(wins, raw, _filled(raw, measures), total_row, monthly.reset_index(drop=True),
                       months_rows.reset_index(drop=True))


def _add_up(groups: np.ndarray, values: np.ndarray, size: int, empty: float = np.nan) -> np.ndarray:
    """The sum of `values` per group number (0 … size-1), empty values left out; `empty` for a
    group with no value (as pandas' sum with min_count=1 when NaN, else its plain sum)."""
    known = ~np.isnan(values)
    sums = np.bincount(groups[known], weights=values[known], minlength=size)
    if empty == 0:
        return sums
    return np.where(np.bincount(groups[known], minlength=size) > 0, sums, empty)


def compare(frame: pd.DataFrame, now: str = "now", prior: str = "prior") -> pd.DataFrame:
    """Sales, margin, gross of two windows side by side, with growth %, GP% and its change."""
    out = pd.DataFrame(index=frame.index)
    out["sales"] = frame[f"sales_{now}"]
    out["sales_prior"] = frame[f"sales_{prior}"]
    out["growth_pct"] = ratio(out["sales"] - out["sales_prior"], out["sales_prior"].abs())
    out["margin"] = frame[f"margin_{now}"]
    out["margin_prior"] = frame[f"margin_{prior}"]
    out["gross"] = frame[f"gross_{now}"]
    out["gross_prior"] = frame[f"gross_{prior}"]
    out["gp_pct"] = ratio(out["margin"], out["gross"])
    out["gp_pct_prior"] = ratio(out["margin_prior"], out["gross_prior"])
    out["gp_change_pts"] = (out["gp_pct"] - out["gp_pct_prior"]).astype("float64")
    return out


def _with_info(keys: pd.DataFrame, info: pd.DataFrame) -> pd.DataFrame:
    merged = keys[["account"]].merge(info.drop(columns=["email"]), on="account", how="left")
    return merged.drop(columns=["account"]).set_index(keys.index)


def _compared(totals: AccountSums, info: pd.DataFrame, now: str, prior: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per account with a line in either window, and for every account together: `compare`."""
    rows = totals.having(now, prior)
    rows = pd.concat([rows[["account"]], _with_info(rows, info), compare(rows, now, prior)], axis=1)
    return rows, compare(totals.total, now, prior)


# ---------------------------------------------------------------- grids


def accounts_grid(lines: Lines, accounts: Lines | pd.DataFrame | None, period: Period) -> Grid:
    """Per account: the period against the same dates one year earlier (SPEC §3 "Accounts").

    `lines` are sales lines (`sales_lines`) covering both windows. A row per account with a
    line in either window, including accounts missing from `accounts` (name, owner empty).
    """
    return _accounts_grid(account_sums(lines, period, months=False), _info_frame(accounts))


def _accounts_grid(totals: AccountSums, info: pd.DataFrame) -> Grid:
    rows, total = _compared(totals, info, "now", "prior")
    return Grid("accounts", rows[list(ACCOUNT_COLUMNS)].reset_index(drop=True),
                total[[c for c in ACCOUNT_COLUMNS if c in total]], ("account",))


def year_to_date(lines: Lines, accounts: Lines | pd.DataFrame | None, period: Period) -> Grid:
    """Per account: 1 January of `to`'s year to `to`, against the same dates a year earlier."""
    return _year_to_date(account_sums(lines, period, months=False), _info_frame(accounts))


def _year_to_date(totals: AccountSums, info: pd.DataFrame) -> Grid:
    ytd = totals.windows["ytd"]
    rows, total = _compared(totals, info, "ytd", "ytd_prior")
    names = {"sales": "sales_ytd", "sales_prior": "sales_ytd_prior", "margin": "margin_ytd",
             "margin_prior": "margin_ytd_prior"}
    rows, total = rows.rename(columns=names), total.rename(columns=names)
    grid = Grid("ytd", rows[list(YTD_COLUMNS)].reset_index(drop=True),
                total[[c for c in YTD_COLUMNS if c in total]], ("account",))
    grid.notes.append(f"Year to date: {ytd.start:%d %b %Y} to {ytd.last:%d %b %Y}, against "
                      f"{ytd.prior().start:%d %b %Y} to {ytd.prior().last:%d %b %Y}.")
    return grid


def monthly(lines: Lines, period: Period) -> Grid:
    """Sales and margin per account and month (`YYYY-MM`) over the twelve months ending with `to`'s month."""
    return _monthly(account_sums(lines, period))


def _monthly(totals: AccountSums) -> Grid:
    twelve = totals.windows["twelve"]
    rows = _money(totals.monthly, ("sales", "margin"))
    total = _money(totals.total[["sales_twelve", "margin_twelve"]].rename(
        columns={"sales_twelve": "sales", "margin_twelve": "margin"}), ("sales", "margin"))
    grid = Grid("monthly", rows[list(MONTHLY_COLUMNS)].reset_index(drop=True), total, ("account", "month"))
    grid.notes.append(f"Twelve months: {twelve.start:%b %Y} to {twelve.last:%d %b %Y}.")
    return grid


def monthly_totals(lines: Lines, period: Period) -> Grid:
    """Sales, margin, gross and GP% of every account together, per month of the twelve."""
    return _monthly_totals(account_sums(lines, period))


def _monthly_totals(totals: AccountSums) -> Grid:
    money = ("sales", "margin", "gross")
    rows = _money(totals.months, money)
    total = _money(totals.total[[f"{m}_twelve" for m in money]].rename(
        columns={f"{m}_twelve": m for m in money}), money)
    for frame in (rows, total):
        frame["gp_pct"] = ratio(frame["margin"], frame["gross"])
    return Grid("monthly_totals", rows.reset_index(drop=True), total, ("month",))


def _money(frame: pd.DataFrame, columns) -> pd.DataFrame:
    frame = frame.copy()
    for col in columns:
        frame[col] = frame[col].astype("float64").fillna(0.0)
    return tidy(frame, list(columns))


def top_monthly(monthly_rows: pd.DataFrame, months: list[str], top: int) -> pd.DataFrame:
    """Monthly sales of the `top` accounts by twelve-month sales: a month column, one column per account."""
    if monthly_rows.empty:
        return pd.DataFrame({"month": months})
    totals = monthly_rows.groupby("account", sort=True, as_index=False)["sales"].sum()
    ranked = list(totals.sort_values(["sales", "account"], ascending=[False, True], kind="stable")
                  .head(top)["account"])
    wide = (monthly_rows[monthly_rows["account"].isin(ranked)]
            .pivot(index="month", columns="account", values="sales")
            .reindex(index=months, columns=ranked).fillna(0.0))
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index().rename(columns={"index": "month"})


def movers(grid: Grid, top: int, growing: bool = True) -> Grid:
    """The `top` accounts whose sales rose (or fell) most against the prior period, by amount."""
    rows = grid.rows.copy()
    change = rows["sales"] - rows["sales_prior"]
    rows = rows[change > 0] if growing else rows[change < 0]
    order = (-change if growing else change).loc[rows.index]
    rows = rows.assign(_order=order.round(6)).sort_values(["_order", "account"]).head(top).drop(columns="_order")
    columns = ["account", "name", "owner", "sales", "sales_prior", "growth_pct", "margin", "gp_pct",
               "gp_change_pts"]
    name = "growing" if growing else "declining"
    return Grid(name, rows[columns].reset_index(drop=True), None, ("account",),
                [f"Ranked by the change in sales (amount) against the prior period; top {top}."])


def by_owner(lines: Lines, accounts: Lines | pd.DataFrame | None, reps: Lines | pd.DataFrame | None,
             period: Period) -> Grid:
    """Team-member performance: sales, margin, growth and GP% of the accounts each rep owns.

    Accounts without an owner (or missing from `accounts`) make the row with an empty owner.
    """
    return _by_owner(account_sums(lines, period, months=False), _info_frame(accounts), reps)


def _by_owner(totals: AccountSums, info: pd.DataFrame, reps: Lines | pd.DataFrame | None) -> Grid:
    windows = ("now", "prior")
    measures = [f"{m}_{w}" for w in windows for m in MEASURES]
    per_account = totals.having(*windows)[["account", *measures]]
    per_account["owner"] = per_account[["account"]].merge(info[["account", "owner"]], on="account",
                                                          how="left")["owner"].to_numpy()
    grouped = query(per_account, f"SELECT owner, COUNT(*) AS accounts, "
                                 f"{', '.join(f'SUM({c}) AS {c}' for c in measures)} "
                                 "FROM lines GROUP BY owner ORDER BY owner NULLS LAST")
    grouped = tidy(grouped, measures)
    rep_frame = reps if isinstance(reps, pd.DataFrame) else rep_info(reps)
    names = dict(zip(rep_frame["rep"], rep_frame["name"]))
    rows = pd.concat([grouped[["owner"]], compare(grouped)], axis=1)
    rows.insert(1, "name", rows["owner"].map(names))
    rows.insert(2, "accounts", grouped["accounts"].astype("int64"))
    total = compare(totals.total)
    total.insert(0, "accounts", len(per_account))
    grid = Grid("owners", rows[list(OWNER_COLUMNS)].reset_index(drop=True),
                total[[c for c in OWNER_COLUMNS if c in total]], ("owner",))
    if rows["owner"].isna().any():
        grid.notes.append("The row with an empty owner holds the accounts that have no owner "
                          "(and accounts missing from the accounts table).")
    return grid


def unknown_accounts(lines: Lines, accounts: Lines | pd.DataFrame | None, period: Period) -> pd.DataFrame:
    """Accounts with sales lines in the period that are missing from `accounts` (they still count)."""
    return _unknown_accounts(account_sums(lines, period, months=False), _info_frame(accounts))


def _unknown_accounts(totals: AccountSums, info: pd.DataFrame) -> pd.DataFrame:
    raw = totals.raw
    frame = raw[raw["n_now"] > 0][["account", "n_now", "sales_now"]]
    frame = frame.rename(columns={"n_now": "lines", "sales_now": "net"})
    known = set(info["account"])
    return tidy(frame[~frame["account"].isin(known)], ["net"]).reset_index(drop=True)


# ---------------------------------------------------------------- headline


def headline(lines: Lines, period: Period) -> dict:
    """Sales, margin and GP% of all accounts: the period and the year to date, each against a year earlier."""
    return _headline(account_sums(lines, period, months=False))


def _headline(totals: AccountSums) -> dict:
    row = totals.total[[f"{m}_{w}" for w in ("now", "prior", "ytd", "ytd_prior") for m in MEASURES]].iloc[0]
    out: dict = {}
    for label, (now, prior) in {"period": ("now", "prior"), "ytd": ("ytd", "ytd_prior")}.items():
        compared = compare(pd.DataFrame([row]), now, prior).iloc[0]
        out[label] = {k: float(v) for k, v in compared.items()}
        out[label]["margin_growth_pct"] = ratio(compared["margin"] - compared["margin_prior"],
                                                abs(compared["margin_prior"]))
    return out


KPIS = {
    "Sales": "parts Net + labour Net (invoiced labour lines only); Net = value after discount",
    "Margin": "parts Profit + labour Profit (Profit = Net − Cost)",
    "Gross": "parts Gross + labour Gross (list value before discount)",
    "GP%": "Margin ÷ Gross × 100, from the account's sums; empty when Gross is 0",
    "Prior": "the same dates one year earlier (29 February → 28 February); data after as-of never counts",
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


#: The most owners the owners chart draws (the owners grid holds every one).
CHART_OWNERS = 20


def charted_owners(rows: pd.DataFrame, top: int = CHART_OWNERS) -> tuple[pd.DataFrame, str]:
    """The owners the chart draws (`grids.top_rows`; no owner shown as "(none)"): those of the
    highest sales, in the grid's order."""
    return top_rows(rows.fillna({"owner": "(none)"}), "sales", "owner", top, "of the highest sales")


def build(ctx) -> AccountsReport:
    """Every grid of the Accounts report, the alerts and the emails; saved when a run asks."""
    from aftersales.reports import alerts as alert_rules
    from aftersales.notify import emails as notify
    from aftersales.present.csvtables import write_csv

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

    emails: list[str] = []
    if ctx.out_dir is not None:
        for name in ("accounts", "monthly", "ytd", "monthly_totals", "owners"):
            ctx.save(grids[name].rows, name)
        write_csv(alert_rules.for_csv(alerts), ctx.out_dir / "alerts.csv")
        written = notify.write_run_emails(ctx.out_dir, alerts, alert_rules.declining_accounts(alerts), info, reps,
                                          ctx.params, period_text=ctx.period_text)
        emails = [str(p.relative_to(ctx.out_dir)) for p in written]
        if ctx.params["notify"]["send_on_run"]:
            notes.append(notify.send_on_run(ctx.out_dir, ctx.params))
    read = int(counts) + invoiced + uninvoiced
    ctx.record(
        headline=head,
        tiles=landing_tiles(head),
        alerts=len(alerts),
        rows={"read": read, "used": int(counts) + invoiced, "set_aside": uninvoiced},
        quality=quality.checks,
    )
    owners_chart, owners_scope = charted_owners(grids["owners"].rows)
    return AccountsReport(grids, head, alerts, quality, chart, emails, notes, owners_chart, owners_scope)


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
