"""The owner emails of a run: one per owner with alerts, to the rep's email.

`<run>/emails/<owner>.eml`: the alerts of the accounts an owner has, with their figures and a
link to the report, as a plain-text part and a short HTML part. The alerts of accounts without
an owner, and those of a rep without an email, go to the catch-all address.

Every email opens with the month's pacing (SPEC §6.4): a few lines of text and a small table
read from the run folder's `tables/pacing/pacing.csv` (`read_pacing`), which the run writes
before the reports start.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from aftersales.notify.mime import (
    NOTE_HEADER,
    OWNER_HEADER,
    domain,
    email_bytes,
    one_line,
    safe_name,
    single_address,
    unique_name,
)

if TYPE_CHECKING:  # pandas is imported by the report, not by `aftersales notify`
    import pandas as pd

#: The folder of a run's emails (`<run>/emails/`): the owner emails, the drafts in a folder of their own.
EMAILS_DIR = "emails"
#: The file of the alerts of accounts that have no owner.
NO_OWNER_FILE = "_no_owner.eml"
#: The run's pacing grid (SPEC §6.4 `pacing/pacing`), relative to the run folder.
PACING_CSV = Path("tables") / "pacing" / "pacing.csv"


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


def report_link(settings: Mapping, out_dir: Path | None, page: str = "accounts.html") -> str:
    """Where a page of the run is read: a web address under the configured `notify.report_link_base`,
    else the page's path in the folder the run lands in, as plain text (no `file://` link: a reader's
    mail client cannot open the machine that made the pack); "" when neither is known."""
    base = one_line(settings["notify"].get("report_link_base"))
    if base.startswith("file:"):  # a Dask worker's run names the final folder so (run/distributed.py)
        from urllib.parse import unquote, urlparse

        return str(Path(unquote(urlparse(base).path)) / page)
    if base:
        return base.rstrip("/") + "/" + page
    if out_dir is None:
        return ""
    return str((final_run_dir(Path(out_dir)) / page).resolve())


def is_web_link(link: str) -> bool:
    """True when `link` is a web address (a reader can click it), not a path on the machine that ran the pack."""
    return link.startswith(("https://", "http://"))


def link_lines(link: str, what: str) -> tuple[str, str]:
    """The closing line about where `what` is read, as plain text and as HTML (a link only to a web address)."""
    if not link:
        return "", ""
    if is_web_link(link):
        return f"{what}: {link}", f'<p><a href="{html.escape(link)}">Open {html.escape(what)}</a></p>'
    text = (f"{what} is on the machine that made the pack, at {link} (set notify.report_link_base "
            "to link the published pack here).")
    return text, f"<p>{html.escape(text)}</p>"


def final_run_dir(out_dir: Path) -> Path:
    """The folder a run lands in: a run writes into `.<name>.tmp-<pid>` beside it first (a branch's
    pack of `--by-branch` in `.<name>.tmp-<pid>/branches/<branch>`)."""
    for at in (out_dir, *list(out_dir.parents)[:2]):
        match = re.fullmatch(r"\.(.+)\.tmp-\d+", at.name)
        if match:
            return at.parent / match.group(1) / out_dir.relative_to(at)
    return out_dir


def owner_message(owner: str | None, alerts: pd.DataFrame, *, settings: Mapping, period_text: str,
                  dates_text: str, link: str, pacing: PacingLines | None = None, scope_text: str = "") -> bytes:
    """The email listing one owner's alerts (`owner` None: accounts without an owner), as RFC 5322
    bytes (`email_bytes`): a plain-text part and an HTML part, each opening with `pacing` when given.
    Its subject ends with the period's dates (`dates_text`) and `scope_text` (a branch pack's "branch 03
    Harrogate"); `period_text`, with the as-of date, heads the body. A rep
    whose accounts buy at several branches gets the group's email and each branch's, told apart in the inbox."""
    from aftersales.reports.alerts import RULE_TITLES

    conf = settings["notify"]
    dealer = one_line(settings["dealer_name"])
    first = alerts.iloc[0]
    rep_name = one_line(first["owner_name"]) or one_line(owner)
    email = single_address(first["owner_email"])  # a cell of two addresses (or none readable) is not used
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
        if one_line(first["owner_email"]):
            note = f"rep {owner}'s email in sales_reps is not one address; addressed to the catch-all address"
            intro = (f"{rep_name} ({owner}) has no usable email in sales_reps (the cell must hold exactly one "
                     f"address), so the alerts on the accounts {owner} owns come to you.")
    count = len(alerts)
    who = rep_name if owner is not None else "accounts without an owner"
    headers = {
        "Subject": one_line(f"{dealer} alerts for {who}: {count} alert{'s' if count != 1 else ''}, "
                         + dates_text + (f" · {scope_text}" if scope_text else "")),
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
    lines = [greeting, ""] + (pacing_text(pacing) + [""] if pacing else []) + [intro, f"Period: {period_text}", ""]
    lines += [f"- {title}: {account} {name} — figure {figure} (threshold {threshold}). {message}"
              for title, account, name, figure, threshold, message in cells]
    link_text, link_html = link_lines(link, "The Accounts report")
    if link_text:
        lines += ["", link_text]
    lines += ["", f"— {dealer} aftersales workbook"]

    rows = "".join("<tr>" + "".join(f"<td style=\"padding:2px 8px\">{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in cells)
    head = "".join(f"<th style=\"text-align:left;padding:2px 8px\">{h}</th>"
                   for h in ("Alert", "Account", "Name", "Figure", "Threshold", "Detail"))
    page = (f"<html><body style=\"font-family:sans-serif\"><p>{html.escape(greeting)}</p>"
            f"{pacing_html(pacing) if pacing else ''}"
            f"<p>{html.escape(intro)}<br>Period: {html.escape(period_text)}</p>"
            f"<table style=\"border-collapse:collapse\"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
            f"{link_html}<p style=\"color:#666\">— {html.escape(dealer)} aftersales workbook</p></body></html>")
    return email_bytes(headers, "\n".join(lines) + "\n", page)


def owner_messages(alerts: pd.DataFrame, *, settings: Mapping, period_text: str, dates_text: str,
                   link: str, pacing: PacingLines | None = None, scope_text: str = "") -> dict[str, bytes]:
    """One email per owner with alerts, keyed by its file name (`<owner>.eml`, or the no-owner file),
    each opening with `pacing` when given."""
    out: dict[str, bytes] = {}
    taken: set[str] = set()
    if alerts.empty:
        return out
    rows: dict[str | None, list[int]] = {}  # each owner's alerts, by position
    for i, o in enumerate(alerts["owner"]):
        rows.setdefault(o if isinstance(o, str) and o != "" else None, []).append(i)
    for owner in sorted(o for o in rows if o is not None) + ([None] if None in rows else []):
        mine = alerts.iloc[rows[owner]]
        name = NO_OWNER_FILE if owner is None else safe_name(owner) + ".eml"
        name = unique_name(name, taken)
        out[name] = owner_message(owner, mine.reset_index(drop=True), settings=settings,
                                  period_text=period_text, dates_text=dates_text, link=link, pacing=pacing,
                                  scope_text=scope_text)
    return out


# ---------------------------------------------------------------- the pacing block at the top


@dataclass(frozen=True)
class PacingLines:
    """The run's pacing grid as its CSV holds it (one dict of cell texts per measure), and its month."""

    month: str  #: e.g. "March 2024"; "" when not known
    rows: tuple[dict[str, str], ...]


def read_pacing(run_dir: Path | None, month: str = "") -> PacingLines | None:
    """The pacing grid of the run folder `run_dir` (`tables/pacing/pacing.csv`), or None without one."""
    if run_dir is None:
        return None
    path = Path(run_dir) / PACING_CSV
    if not path.is_file():
        return None
    with open(path, encoding="utf-8", newline="") as handle:
        rows = tuple(csv.DictReader(handle))
    return PacingLines(one_line(month), rows) if rows else None


def _value(text: str | None) -> float:
    try:
        return float(text) if text not in (None, "") else math.nan
    except ValueError:
        return math.nan


def _amount(measure: str, value: float) -> str:
    if math.isnan(value):
        return "–"
    text = f"{value:,.1f} h" if measure == "hours_sold" else f"{value:,.0f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,h ") else text


def _percent(value: float, signed: bool = False) -> str:
    if math.isnan(value):
        return "–"
    text = f"{value:,.1f}"
    if text.startswith("-") and not text.strip("-0.,"):
        text = text[1:]
    return ("+" if signed and not text.startswith("-") and text.strip("0.,") else "") + text + "%"


def pacing_cells(row: Mapping[str, str]) -> dict[str, str]:
    """One measure's figures as the email shows them, with its ahead / behind mark (a word and a symbol)."""
    from aftersales.reports.pacing import AHEAD, BEHIND, MEASURE_LABELS, pacing_status

    measure = row.get("measure", "")
    pace, budget = _value(row.get("pace_pct")), _value(row.get("budget"))
    status = pacing_status({"pace_pct": pace})
    vs_ly = _percent(_value(row.get("projected_vs_last_year_pct")), signed=True)
    return {
        "measure": one_line(MEASURE_LABELS.get(measure, measure)),
        "mtd": _amount(measure, _value(row.get("mtd"))),
        "target": _amount(measure, _value(row.get("target_to_date"))),
        "pace": _percent(pace),
        "mark": {AHEAD: "▲ ahead", BEHIND: "▼ behind"}.get(status) or _no_pace(budget),
        "projected": _amount(measure, _value(row.get("projected"))),
        "vs_budget": _percent(_value(row.get("projected_vs_budget_pct"))),
        "budget": _amount(measure, budget),
        "vs_last_year": ("▲ " if vs_ly.startswith("+") else "▼ " if vs_ly.startswith("-") else "") + vs_ly,
        "last_year": _amount(measure, _value(row.get("last_year"))),
    }


def _no_pace(budget: float) -> str:
    """Why a measure has no pace: no budget, a budget of 0, or no working day elapsed yet."""
    if math.isnan(budget):
        return "no budget"
    return "budget 0" if budget == 0 else "no pace yet"


def _pacing_heading(pacing: PacingLines) -> str:
    first = pacing.rows[0]
    days = f"{first.get('elapsed_days', '')} of {first.get('total_days', '')} working days elapsed"
    return f"On track this month? {pacing.month + ' — ' if pacing.month else ''}{days}"


def pacing_text(pacing: PacingLines) -> list[str]:
    """The pacing block of an email's plain-text part: a heading and one line per measure."""
    lines = [_pacing_heading(pacing) + ":"]
    for row in pacing.rows:
        c = pacing_cells(row)
        pace = f"pace {c['pace']} {c['mark']}" if c["pace"] != "–" else c["mark"]
        against = f" = {c['vs_budget']} of budget {c['budget']}" if c["vs_budget"] != "–" else ""
        lines.append(f"- {c['measure']}: MTD {c['mtd']} · target to date {c['target']} · {pace} · "
                     f"month-end {c['projected']}{against} · {c['vs_last_year']} vs last year ({c['last_year']})")
    return lines


def pacing_html(pacing: PacingLines) -> str:
    """The pacing block of an email's HTML part: a heading and a small table (every text escaped)."""
    cell = "padding:2px 8px;text-align:right;white-space:nowrap"
    head = "".join(f"<th style=\"{cell}\">{h}</th>" for h in
                   ("MTD", "Target to date", "Pace", "Month-end", "vs budget", "vs last year"))
    body = []
    for row in pacing.rows:
        c = pacing_cells(row)
        colour = {"▲": "#1a7f37", "▼": "#c62828"}.get(c["mark"][:1], "#555")
        pace = (html.escape(c["pace"]) + " " if c["pace"] != "–" else "")
        pace += f"<b style=\"color:{colour}\">{html.escape(c['mark'])}</b>"
        against = f"{c['vs_budget']} of {c['budget']}" if c["vs_budget"] != "–" else "–"
        figures = [html.escape(c["mtd"]), html.escape(c["target"]), pace, html.escape(c["projected"]),
                   html.escape(against), html.escape(c["vs_last_year"])]
        body.append(f"<tr><th style=\"padding:2px 8px;text-align:left\">{html.escape(c['measure'])}</th>"
                    + "".join(f"<td style=\"{cell}\">{f}</td>" for f in figures) + "</tr>")
    return (f"<p><b>{html.escape(_pacing_heading(pacing))}</b></p>"
            f"<table style=\"border-collapse:collapse;font-size:0.9em\"><thead><tr><th></th>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")
