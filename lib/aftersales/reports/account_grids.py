"""The grids of the Accounts report (SPEC §3 "Accounts", columns of SPEC §5): per account against
the prior year, the year to date, the twelve months, per owner, the movers, the accounts missing
from the accounts table, and the headline.

Pure functions: each public one takes sales lines (`account_sums.sales_lines`) and a period;
its `_` twin takes the sums of one pass (`AccountSums`), as `accounts.build` does. Growth and
GP% are derived from the sums.
"""

from __future__ import annotations

import pandas as pd

from aftersales.reports.account_sums import (
    MEASURES,
    AccountSums,
    _compared,
    _info_frame,
    account_sums,
    compare,
    rep_info,
)
from aftersales.reports.formulas import ratio, tidy
from aftersales.reports.grids import Grid, Lines, query
from aftersales.reports.periods import Period

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
