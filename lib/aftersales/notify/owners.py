"""The owner emails of a run: one per owner with alerts, to the rep's email.

`<run>/emails/<owner>.eml`: the alerts of the accounts an owner has, with their figures and a
link to the report, as a plain-text part and a short HTML part. The alerts of accounts without
an owner, and those of a rep without an email, go to the catch-all address.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from aftersales.notify.mime import NOTE_HEADER, OWNER_HEADER, domain, email_bytes, one_line, safe_name, unique_name

if TYPE_CHECKING:  # pandas is imported by the report, not by `aftersales notify`
    import pandas as pd

#: The folder of a run's emails (`<run>/emails/`): the owner emails, the drafts in a folder of their own.
EMAILS_DIR = "emails"
#: The file of the alerts of accounts that have no owner.
NO_OWNER_FILE = "_no_owner.eml"


def _figure(rule: str, value: float) -> str:
    if rule == "gp_drop":
        return f"{value:+.1f} pts"
    if rule == "sales_decline":
        return f"{value:+.1f} %"
    return f"{value:,.2f}"


def _threshold(rule: str, value: float) -> str:
    if rule == "gp_drop":
        return f"{value:g} pts"
    if rule == "sales_decline":
        return f"{value:g} %"
    return f"{value:,.2f}"


def report_link(settings: Mapping, out_dir: Path | None) -> str:
    """Where the Accounts report of the run is read: the configured base, else the run folder."""
    base = one_line(settings["notify"].get("report_link_base"))
    if base:
        return base.rstrip("/") + "/accounts.html"
    if out_dir is None:
        return ""
    return (final_run_dir(Path(out_dir)) / "accounts.html").resolve().as_uri()


def final_run_dir(out_dir: Path) -> Path:
    """The folder a run lands in: a run writes into `.<name>.tmp-<pid>` beside it first."""
    match = re.fullmatch(r"\.(.+)\.tmp-\d+", out_dir.name)
    return out_dir.parent / match.group(1) if match else out_dir


def owner_message(owner: str | None, alerts: pd.DataFrame, *, settings: Mapping, period_text: str,
                  link: str) -> bytes:
    """The email listing one owner's alerts (`owner` None: accounts without an owner), as RFC 5322
    bytes (`email_bytes`): a plain-text part and an HTML part."""
    from aftersales.reports.alerts import RULE_TITLES

    conf = settings["notify"]
    dealer = one_line(settings["dealer_name"])
    first = alerts.iloc[0]
    rep_name = one_line(first["owner_name"]) or one_line(owner)
    email = one_line(first["owner_email"])
    note = ""
    if owner is None:
        to, greeting = (one_line(conf["catch_all"]), ""), "Hello,"
        intro = "These accounts have no owner in the accounts table, so their alerts come to you."
    elif email:
        to, greeting, intro = (email, rep_name), f"Hello {rep_name},", "Alerts on the accounts you own:"
    else:
        to, greeting = (one_line(conf["catch_all"]), ""), "Hello,"
        note = f"rep {owner} has no email in sales_reps; addressed to the catch-all address"
        intro = (f"{rep_name} ({owner}) has no email in sales_reps, so the alerts on the accounts "
                 f"{owner} owns come to you.")
    count = len(alerts)
    who = rep_name if owner is not None else "accounts without an owner"
    headers = {
        "Subject": one_line(f"{dealer} alerts for {who}: {count} alert{'s' if count != 1 else ''}, "
                         f"{period_text.split(' · ')[0]}"),
        "From": (one_line(conf["sender"]), f"{dealer} reports"),
        "To": to if to[0] else None,
        "Date": format_datetime(dt.datetime.now(dt.timezone.utc)),
        "Message-ID": make_msgid(domain=domain(conf["sender"])),
        OWNER_HEADER: one_line(owner) if owner is not None else None,
        NOTE_HEADER: note,
    }

    # each alert's cells once: alert, account, name, figure, threshold, detail
    cells = [(RULE_TITLES.get(rule, rule), one_line(account), one_line(name), _figure(rule, value),
              _threshold(rule, threshold), one_line(message))
             for rule, account, name, value, threshold, message in zip(
                 alerts["rule"], alerts["account"], alerts["name"], alerts["value"], alerts["threshold"],
                 alerts["message"])]
    lines = [greeting, "", intro, f"Period: {period_text}", ""]
    lines += [f"- {title}: {account} {name} — figure {figure} (threshold {threshold}). {message}"
              for title, account, name, figure, threshold, message in cells]
    if link:
        lines += ["", f"The Accounts report: {link}"]
    lines += ["", f"— {dealer} aftersales workbook"]

    rows = "".join("<tr>" + "".join(f"<td style=\"padding:2px 8px\">{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in cells)
    head = "".join(f"<th style=\"text-align:left;padding:2px 8px\">{h}</th>"
                   for h in ("Alert", "Account", "Name", "Figure", "Threshold", "Detail"))
    link_html = f'<p><a href="{html.escape(link)}">Open the Accounts report</a></p>' if link else ""
    page = (f"<html><body style=\"font-family:sans-serif\"><p>{html.escape(greeting)}</p>"
            f"<p>{html.escape(intro)}<br>Period: {html.escape(period_text)}</p>"
            f"<table style=\"border-collapse:collapse\"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
            f"{link_html}<p style=\"color:#666\">— {html.escape(dealer)} aftersales workbook</p></body></html>")
    return email_bytes(headers, "\n".join(lines) + "\n", page)


def owner_messages(alerts: pd.DataFrame, *, settings: Mapping, period_text: str,
                   link: str) -> dict[str, bytes]:
    """One email per owner with alerts, keyed by its file name (`<owner>.eml`, or the no-owner file)."""
    out: dict[str, bytes] = {}
    if alerts.empty:
        return out
    rows: dict[str | None, list[int]] = {}  # each owner's alerts, by position
    for i, o in enumerate(alerts["owner"]):
        rows.setdefault(o if isinstance(o, str) and o != "" else None, []).append(i)
    for owner in sorted(o for o in rows if o is not None) + ([None] if None in rows else []):
        mine = alerts.iloc[rows[owner]]
        name = NO_OWNER_FILE if owner is None else safe_name(owner) + ".eml"
        name = unique_name(name, out)
        out[name] = owner_message(owner, mine.reset_index(drop=True), settings=settings,
                                  period_text=period_text, link=link)
    return out
