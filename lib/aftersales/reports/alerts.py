"""Alert rules (SPEC §3 "Alerts"): who should act on which account, and why.

Pure functions: the accounts grid's rows, the sales lines and the thresholds in → one frame
of alerts out. "At least N" means ≥ N; no alert is raised where the figure is empty.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from aftersales.config import ALERT_COLUMNS
from aftersales.reports.formulas import SUM_DECIMALS, tidy
from aftersales.reports.grids import Lines, in_period, query
from aftersales.reports.periods import Period

#: The columns of alerts.csv (SPEC §5).
#: The rules, in the order alerts are listed.
RULES = ("gp_drop", "sales_decline", "large_document")
#: Extra columns kept beside the alerts for the report and the emails (not written to alerts.csv):
#: `at_stake` is the money the alert is about — the change in margin (GP% drop), in sales (sales
#: decline), the invoice's Net (large document) — and `unit` names what `value` is in.
EXTRA_COLUMNS = ("document", "owner_name", "at_stake", "unit")
#: What each rule's `value` is measured in.
UNITS = {"gp_drop": "points", "sales_decline": "%", "large_document": "amount"}

RULE_TITLES = {
    "gp_drop": "GP% drop",
    "sales_decline": "Sales decline",
    "large_document": "Large invoice",
}


def excluded(account, patterns) -> bool:
    """True when an account code matches one of `alerts.exclude_accounts` (codes or glob patterns such
    as `INT*`, matched case-sensitively on the whole code): no alert, no outreach."""
    from fnmatch import fnmatchcase

    return isinstance(account, str) and any(fnmatchcase(account, str(p)) for p in patterns or ())


def _minimum(rows: pd.DataFrame, column: str, minimum: float) -> pd.DataFrame:
    """The rows whose `column` is at least `minimum` (0: every row, as SPEC §3)."""
    if not minimum:
        return rows
    values = pd.to_numeric(rows[column], errors="coerce").astype("float64")
    return rows[values.round(SUM_DECIMALS) >= float(minimum)]


def reached(amount: float, threshold: float) -> bool:
    """True when `amount` is at least `threshold` (amounts are rounded first: no float noise)."""
    if amount is None or (isinstance(amount, float) and math.isnan(amount)):
        return False
    return round(float(amount), SUM_DECIMALS) >= float(threshold)


def _near(values: pd.Series, threshold: float) -> pd.Series:
    """The values that may reach `threshold` (a loose test in bulk; `reached` decides each one)."""
    return pd.to_numeric(values, errors="coerce").astype("float64") >= float(threshold) - 1e-3


def gp_drop(rows: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Accounts whose GP% fell by at least `threshold` points; `value` is the change (negative)."""
    out = []
    for r in rows[_near(-rows["gp_change_pts"], threshold)].to_dict("records"):
        change = r["gp_change_pts"]
        if change == change and reached(-change, threshold):
            out.append({**_who(r), "rule": "gp_drop", "value": change, "threshold": float(threshold),
                        "at_stake": _delta(r, "margin"),
                        "message": f"GP% fell {-change:.1f} points, from {r['gp_pct_prior']:.1f}% to "
                                   f"{r['gp_pct']:.1f}% (alert at a fall of {threshold:g} points or more)"})
    return _frame(out)


def sales_decline(rows: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Accounts whose sales fell by at least `threshold` %; `value` is the growth % (negative)."""
    out = []
    for r in rows[_near(-rows["growth_pct"], threshold)].to_dict("records"):
        growth = r["growth_pct"]
        if growth == growth and reached(-growth, threshold):
            out.append({**_who(r), "rule": "sales_decline", "value": growth, "threshold": float(threshold),
                        "at_stake": _delta(r, "sales"),
                        "message": f"Sales fell {-growth:.1f}%, from {r['sales_prior']:,.2f} to {r['sales']:,.2f} "
                                   "against the same dates a year earlier "
                                   f"(alert at a fall of {threshold:g}% or more)"})
    return _frame(out)


def invoice_nets(lines: Lines, period: Period) -> pd.DataFrame:
    """Net of every invoice over its parts and labour lines dated in the period (credits excluded)."""
    return _invoice_nets(lines, period)


def _number(value) -> float:
    """A threshold as a finite float: only such a number ever reaches SQL text."""
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"an alert threshold must be a finite number, got {value!r}")
    return number


def _invoice_nets(lines: Lines, period: Period, near: float | None = None) -> pd.DataFrame:
    """`invoice_nets`, or only the invoices whose Net may reach `near` (summed and chosen in SQL)."""
    having = "" if near is None else f"HAVING SUM(net) >= {_number(near) - 1e-3!r} "
    frame = query(lines, "SELECT document, MIN(date) AS date, MIN(account) AS account, SUM(net) AS net "
                         f"FROM lines WHERE doc_type = 'invoice' AND {in_period('date', period.start, period.last)} "
                         f"GROUP BY document {having}ORDER BY document")
    frame["net"] = frame["net"].astype("float64")
    return tidy(frame, ["net"])


def large_document(lines: Lines, period: Period, threshold: float, info: pd.DataFrame) -> pd.DataFrame:
    """Invoices whose Net (parts and labour lines together, dated in the period) is at least `threshold`."""
    docs = _invoice_nets(lines, period, near=threshold)
    docs = docs[[reached(n, threshold) for n in docs["net"]]]
    names = info.set_index("account") if len(info) else None
    out = []
    for r in docs.to_dict("records"):
        known = names is not None and r["account"] in names.index
        who = {"account": r["account"], "name": names.at[r["account"], "name"] if known else None,
               "owner": names.at[r["account"], "owner"] if known else None}
        day = pd.Timestamp(r["date"]).strftime("%Y-%m-%d")
        out.append({**who, "rule": "large_document", "value": r["net"], "threshold": float(threshold),
                    "document": r["document"], "at_stake": r["net"],
                    "message": f"Invoice {r['document']} of {day}: Net {r['net']:,.2f} "
                               f"(alert at {threshold:,.2f} or more)"})
    return _frame(out)


def evaluate(rows: pd.DataFrame, lines: Lines, period: Period, thresholds: Mapping[str, float],
             info: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Every alert of the period, sorted by rule, account, then document; with the owner's email.

    `rows` are the accounts grid's rows, `lines` the sales lines, `info` the accounts'
    names and owners (`accounts.account_info`), `reps` the reps' names and emails.
    """
    exclude = thresholds.get("exclude_accounts") or []
    if exclude:
        rows = rows.loc[[not excluded(a, exclude) for a in rows["account"]]] if len(rows) else rows
    found = pd.concat([
        gp_drop(_minimum(rows, "sales", thresholds.get("min_sales", 0)), thresholds["gp_drop"]),
        sales_decline(_minimum(rows, "sales_prior", thresholds.get("min_prior_sales", 0)), thresholds["sales_decline"]),
        large_document(lines, period, thresholds["large_document"], info),
    ], ignore_index=True)
    if exclude:
        found = found.loc[[not excluded(a, exclude) for a in found["account"]]] if len(found) else found
    found["unit"] = found["rule"].map(UNITS)
    emails = {r: e for r, e in zip(reps["rep"], reps["email"]) if isinstance(e, str) and e.strip()}
    names = dict(zip(reps["rep"], reps["name"]))
    found["owner_email"] = [emails.get(o) if isinstance(o, str) else None for o in found["owner"]]
    found["owner_name"] = [names.get(o) if isinstance(o, str) else None for o in found["owner"]]
    found["_rule"] = found["rule"].map(RULES.index)
    found = found.sort_values(["_rule", "account", "document"], na_position="first", kind="stable")
    return found[[*ALERT_COLUMNS, *EXTRA_COLUMNS]].reset_index(drop=True)


def for_csv(alerts: pd.DataFrame) -> pd.DataFrame:
    """The alerts as alerts.csv holds them (SPEC §5 columns)."""
    return alerts[list(ALERT_COLUMNS)]


def by_rule(alerts: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The alerts of each rule (every rule present, possibly empty)."""
    return {rule: alerts[alerts["rule"] == rule].reset_index(drop=True) for rule in RULES}


def declining_accounts(alerts: pd.DataFrame) -> pd.DataFrame:
    """The accounts with a sales_decline alert: those an outreach draft is written for."""
    return alerts[alerts["rule"] == "sales_decline"][["account", "name", "owner", "owner_email", "owner_name"]] \
        .reset_index(drop=True)


def owners_without_email(alerts: pd.DataFrame) -> list[str]:
    """Owners with alerts whose email is unknown (not in sales_reps, or no email there)."""
    owned = alerts[alerts["owner"].notna() & alerts["owner_email"].isna()]
    return sorted(set(owned["owner"]))


def by_money(alerts: pd.DataFrame) -> pd.DataFrame:
    """One entry per account (large invoices one per document), its reasons joined, sorted by the
    money at stake, largest first: the list a manager reads."""
    if not len(alerts):
        return alerts.assign(reasons=pd.Series(dtype="object"))
    key = alerts["account"].fillna("") + "\x1f" + alerts["document"].fillna("")
    frame = alerts.assign(_key=key.where(alerts["rule"] == "large_document", alerts["account"].fillna("")),
                          _stake=pd.to_numeric(alerts["at_stake"], errors="coerce").abs())
    rows = []
    for _, group in frame.groupby("_key", sort=False):
        first = group.sort_values("_stake", ascending=False, kind="stable").iloc[0].to_dict()
        first["reasons"] = "; ".join(group["message"].astype(str))
        first["rules"] = ", ".join(RULE_TITLES.get(r, r) for r in group["rule"])
        rows.append(first)
    out = pd.DataFrame(rows).sort_values(["_stake", "account"], ascending=[False, True], na_position="last",
                                         kind="stable")
    return out.drop(columns=["_key", "_stake"]).reset_index(drop=True)


def _delta(row: Mapping, column: str) -> float:
    now, prior = row.get(column), row.get(f"{column}_prior")
    if now is None or prior is None or now != now or prior != prior:
        return math.nan
    return round(float(now) - float(prior), SUM_DECIMALS) + 0.0


def _who(row: Mapping) -> dict:
    return {"account": row["account"], "name": row.get("name"), "owner": row.get("owner")}


def _frame(records: list[dict]) -> pd.DataFrame:
    columns = ["rule", "account", "name", "owner", "value", "threshold", "message", "document", "at_stake"]
    frame = pd.DataFrame(records, columns=columns)
    frame["value"] = frame["value"].astype("float64")
    frame["at_stake"] = frame["at_stake"].astype("float64")
    frame["threshold"] = frame["threshold"].astype("float64")
    return frame.astype({c: "object" for c in ("rule", "account", "name", "owner", "message", "document")})
