"""The sums of the Accounts report: one relation of *sales lines* (parts lines and invoiced labour
lines, each valued with the shared formulas of `formulas.py`), the accounts' and reps' details,
and every sum per account and window from one pass over the lines (`account_sums`), compared
window against window (`compare`). Every sum runs in DuckDB.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from aftersales.reports.formulas import ACCOUNT_SUMS, INVOICED, LABOUR_VALUES, PARTS_VALUES, floating, ratio, tidy
from aftersales.reports.grids import Lines, in_period, query, relation
from aftersales.reports.periods import Period

#: The details of an account: what the grids show beside its figures, and whom its emails address.
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
