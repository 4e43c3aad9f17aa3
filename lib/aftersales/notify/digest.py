"""The digest of a finished run (`aftersales notify RUN_DIR --digest`, or `notify.digest_on_run`).

One email to each reader, made from the run folder's files (never the source):

- each owner: the run's pacing (`tables/pacing/pacing.csv`), their alerts by money at stake
  (`alerts.by_money` over `alerts.csv`, their accounts only) and their accounts up and down
  (`tables/accounts/accounts.csv`, by the change in sales); alerts of accounts without an owner,
  and a rep without an email, go to the catch-all address;
- each branch manager (`notify.branch_managers`: code → address): their branch's pacing (its
  pack's, when the run made branch packs) and its league position (`tables/group/branches.csv`);
- the dealer principal (`notify.principal`): the group's pacing and the top of the league.

The summary is in the body: an HTML part in table layout with its CSS inlined (`css_inline`), one
column at phone width, and a plain-text part that reads on its own. The pack is linked only under
`notify.report_link_base`; without it the email says where the pack is. `notify.digest_when`
(alerts | always) says who gets one.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from aftersales.notify.mime import NOTE_HEADER, OWNER_HEADER, domain, email_bytes, one_line, safe_name, single_address
from aftersales.notify.owners import (
    EMAILS_DIR,
    PacingLines,
    final_run_dir,
    is_web_link,
    pacing_cells,
    pacing_text,
    read_pacing,
    report_link,
)
from aftersales.notify.sending import NotifyError, Outcome, failed_accounts, run_settings, send

if TYPE_CHECKING:
    import pandas as pd

#: The values of `notify.digest_when`.
WHEN = ("alerts", "always")
#: Accounts listed up and down in an owner's digest (at most; `report.top_accounts` when smaller).
TOP = 5
#: Branches of the league in the principal's digest.
LEAGUE_TOP = 5
#: The league's file in the group's pack.
LEAGUE_CSV = Path("tables") / "group" / "branches.csv"
ACCOUNTS_CSV = Path("tables") / "accounts" / "accounts.csv"
OWNERS_CSV = Path("tables") / "accounts" / "owners.csv"

_STYLE = """
body { margin:0; padding:0; background:#f4f4f4; font-family:Arial,Helvetica,sans-serif; color:#222; }
table { border-collapse:collapse; }
.wrap { width:100%; background:#f4f4f4; }
.box { width:100%; max-width:600px; background:#ffffff; }
.cell { padding:12px; font-size:15px; line-height:1.4; word-break:break-word; overflow-wrap:anywhere; }
h2 { font-size:17px; margin:16px 0 6px 0; }
.rows { width:100%; }
.rows td { padding:4px 2px; border-bottom:1px solid #e5e5e5; vertical-align:top; font-size:14px;
           word-break:break-word; overflow-wrap:anywhere; }
.num { text-align:right; white-space:nowrap; }
.small { color:#666; font-size:12px; }
.up { color:#1a7f37; } .down { color:#c62828; }
"""


@dataclass(frozen=True)
class Digest:
    """One digest email: its file name, recipient, subject, plain text and HTML page."""

    name: str
    to: tuple[str, str]
    subject: str
    text: str
    page: str
    has_alerts: bool
    owner: str = ""
    note: str = ""


# ---------------------------------------------------------------- reading the run folder


def _csv(path: Path, codes: tuple[str, ...]) -> pd.DataFrame | None:
    import pandas as pd

    if not path.is_file():
        return None
    return pd.read_csv(path, dtype={c: "string" for c in codes}, keep_default_na=False, na_values=[""])


@dataclass
class RunFiles:
    """What a digest reads from a run folder."""

    run_dir: Path
    manifest: dict
    alerts: pd.DataFrame | None
    accounts: pd.DataFrame | None
    owners: pd.DataFrame | None
    league: pd.DataFrame | None
    pacing: PacingLines | None

    @property
    def period_text(self) -> str:
        period, as_of = self.manifest.get("period") or {}, self.manifest.get("as_of")
        day = lambda d: dt.date.fromisoformat(d).strftime("%d %b %Y")  # noqa: E731
        if not period.get("from"):
            return ""
        return f"{day(period['from'])} to {day(period['to'])}" + (f" · as of {day(as_of)}" if as_of else "")


def read_run(run_dir: Path) -> RunFiles:
    """The files of a finished run the digest is made from (a missing one is None)."""
    run_dir = Path(run_dir)
    manifest_path = run_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    to = (manifest.get("period") or {}).get("to")
    month = dt.date.fromisoformat(to).strftime("%B %Y") if to else ""
    return RunFiles(run_dir, manifest, _csv(run_dir / "alerts.csv", ("account", "owner", "name", "owner_email")),
                    _csv(run_dir / ACCOUNTS_CSV, ("account", "owner", "name")),
                    _csv(run_dir / OWNERS_CSV, ("owner", "name")),
                    _csv(run_dir / LEAGUE_CSV, ("branch", "name", "region")), read_pacing(run_dir, month))


def money_alerts(run: RunFiles) -> pd.DataFrame:
    """The run's alerts with their money at stake (`at_stake`, from the accounts grid: the change in margin
    of a GP% drop, in sales of a decline; an invoice's Net), ready for `alerts.by_money`."""
    alerts = run.alerts.copy()
    grid = run.accounts.set_index("account") if run.accounts is not None else None

    def change(account, column: str) -> float:
        if grid is None or account not in grid.index:
            return math.nan
        now, prior = grid.at[account, column], grid.at[account, f"{column}_prior"]
        return math.nan if now != now or prior != prior else round(float(now) - float(prior), 2) + 0.0

    stake = [float(v) if rule == "large_document" else change(a, "margin" if rule == "gp_drop" else "sales")
             for rule, a, v in zip(alerts["rule"], alerts["account"], alerts["value"])]
    # each large invoice is its own entry (alerts.csv does not carry the document number)
    document = [f"#{i}" if rule == "large_document" else None for i, rule in enumerate(alerts["rule"])]
    return alerts.assign(at_stake=stake, document=document)


# ---------------------------------------------------------------- pieces of a digest


def _money(value: float, signed: bool = False) -> str:
    if value is None or value != value:
        return "–"
    return f"{value:+,.2f}" if signed else f"{value:,.2f}"


def _pct(value: float) -> str:
    return "–" if value is None or value != value else f"{value:+,.1f}%"


def _who(name, code) -> str:
    """An account or branch as `Name (CODE)`, or its code alone when it has no name."""
    name, code = one_line(name), one_line(code)
    return f"{name} ({code})" if name and name != code else code


def _rows(rows: list[tuple[str, str]], css: str = "") -> str:
    """A two-column table of (text, figure) rows; `text` is HTML already escaped."""
    body = "".join(f'<tr><td>{left}</td><td class="num {css}">{html.escape(right)}</td></tr>' for left, right in rows)
    return f'<table class="rows" role="presentation">{body}</table>'


def pacing_part(pacing: PacingLines | None, what: str) -> tuple[list[str], str]:
    """The pacing block of a digest as plain-text lines and HTML (one row per measure, two columns)."""
    if pacing is None:
        return [f"Pacing of {what}: not in this run."], f"<h2>Pacing of {html.escape(what)}</h2><p>Not in this run.</p>"
    rows = []
    for row in pacing.rows:
        c = pacing_cells(row)
        label = (f"{html.escape(c['measure'])}<br><span class=\"small\">MTD {html.escape(c['mtd'])} · month-end "
                 f"{html.escape(c['projected'])} · budget {html.escape(c['budget'])}</span>")
        rows.append((label, (c["pace"] + " " if c["pace"] != "–" else "") + c["mark"]))
    text = [f"Pacing of {what}"] + pacing_text(pacing)
    return text, f"<h2>Pacing of {html.escape(what)}</h2><p class=\"small\">" \
                 f"{html.escape(pacing_text(pacing)[0].rstrip(':'))}</p>{_rows(rows)}"


def alerts_part(alerts: pd.DataFrame) -> tuple[list[str], str]:
    """An owner's alerts by money at stake (one entry per account, its reasons joined)."""
    from aftersales.reports.alerts import by_money

    if not len(alerts):
        return ["Alerts: none on your accounts."], "<h2>Alerts</h2><p>None on your accounts.</p>"
    listed = by_money(alerts)
    text = [f"Alerts ({len(listed)}), largest money at stake first:"]
    rows = []
    for r in listed.to_dict("records"):
        who = _who(r["name"], r["account"])
        text.append(f"- {who}: {r['rules']}, at stake {_money(r['at_stake'], True)}. {one_line(r['reasons'])}")
        rows.append((f"<b>{html.escape(who)}</b><br>{html.escape(r['rules'])}<br>"
                     f"<span class=\"small\">{html.escape(one_line(r['reasons']))}</span>",
                     _money(r["at_stake"], True)))
    return text, f"<h2>Alerts by money at stake</h2>{_rows(rows)}"


def movers_part(accounts: pd.DataFrame, top: int) -> tuple[list[str], str]:
    """An owner's accounts up and down: the `top` largest rises and falls in sales (the amount and the growth %)."""
    if accounts is None or not len(accounts):
        return ["Accounts up and down: no sales on your accounts."], "<h2>Accounts up and down</h2><p>No sales.</p>"
    change = (accounts["sales"].astype("float64") - accounts["sales_prior"].astype("float64")).round(2)
    frame = accounts.assign(_change=change).dropna(subset=["_change"])
    up = frame[frame["_change"] > 0].sort_values(["_change", "account"], ascending=[False, True]).head(top)
    down = frame[frame["_change"] < 0].sort_values(["_change", "account"], ascending=[True, True]).head(top)
    text, page = [], ""
    for title, part in (("Top accounts up", up), ("Top accounts down", down)):
        text.append(f"{title} (sales against the same dates a year earlier):")
        rows = []
        for r in part.to_dict("records"):
            who = _who(r["name"], r["account"])
            text.append(f"- {who}: {_money(r['_change'], True)} ({_pct(r['growth_pct'])}), sales {_money(r['sales'])}")
            rows.append((f"{html.escape(who)}<br><span class=\"small\">sales {_money(r['sales'])} · "
                         f"{_pct(r['growth_pct'])}</span>", _money(r["_change"], True)))
        if not rows:
            text.append("- none")
        page += f"<h2>{title}</h2>" + (_rows(rows) if rows else "<p>None.</p>")
    return text, page


def league_rows(league: pd.DataFrame) -> tuple[list[str], list[tuple[str, str]]]:
    """Branches of the league as text lines and table rows: rank, name, sales and growth."""
    text, rows = [], []
    for r in league.sort_values(["rank", "branch"], na_position="last").to_dict("records"):
        rank = "–" if r["rank"] != r["rank"] else f"{int(r['rank'])}"
        who = _who(r["name"], r["branch"])
        text.append(f"{rank}. {who}: sales {_money(r['sales'])} ({_pct(r['growth_pct'])})")
        rows.append((f"<b>{rank}.</b> {html.escape(who)}<br><span class=\"small\">{_pct(r['growth_pct'])} "
                     "against a year earlier</span>", _money(r["sales"])))
    return text, rows


# ---------------------------------------------------------------- whole emails


def _page(title: str, greeting: str, body: str, link_html: str, dealer: str) -> str:
    """The HTML part: a one-column table layout, its CSS inlined (`css_inline`)."""
    import css_inline

    page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
            f"content=\"width=device-width, initial-scale=1\"><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>"
            f"<table class=\"wrap\" role=\"presentation\" width=\"100%\"><tr><td align=\"center\">"
            f"<table class=\"box\" role=\"presentation\" width=\"100%\"><tr><td class=\"cell\">"
            f"<p>{html.escape(greeting)}</p>{body}{link_html}"
            f"<p class=\"small\">— {html.escape(dealer)} aftersales workbook</p>"
            f"</td></tr></table></td></tr></table></body></html>")
    return css_inline.inline(page)


def _link(settings: Mapping, run_dir: Path, page: str) -> tuple[str, str]:
    link = report_link(settings, run_dir, page)
    if not link:
        return "", ""
    if is_web_link(link):
        return f"The full pack: {link}", f'<p><a href="{html.escape(link)}">Open the full pack</a></p>'
    text = f"The full pack is in {Path(link).parent} on the machine that made it (it is not published on the web)."
    return text, f"<p class=\"small\">{html.escape(text)}</p>"


def _digest(name: str, to: tuple[str, str], subject: str, greeting: str, parts: list[tuple[list[str], str]],
            link: tuple[str, str], dealer: str, has_alerts: bool, owner: str = "", note: str = "") -> Digest:
    text = [greeting, ""]
    for lines, _ in parts:
        text += lines + [""]
    text += ([link[0], ""] if link[0] else []) + [f"— {dealer} aftersales workbook"]
    page = _page(subject, greeting, "".join(p for _, p in parts), link[1], dealer)
    return Digest(name, to, one_line(subject), "\n".join(text) + "\n", page, has_alerts, owner, note)


def owner_digests(run: RunFiles, settings: Mapping) -> list[Digest]:
    """One digest per owner of the run's accounts (and one for alerts of accounts without an owner)."""
    conf, dealer = settings["notify"], one_line(settings["dealer_name"])
    alerts, accounts = money_alerts(run), run.accounts
    owners = sorted({o for o in (*alerts["owner"].dropna(), *accounts["owner"].dropna()) if one_line(o)})
    names = dict(zip(run.owners["owner"], run.owners["name"])) if run.owners is not None else {}
    emails = {o: e for o, e in zip(alerts["owner"], alerts["owner_email"]) if isinstance(o, str)}
    top = min(TOP, int(settings["report"]["top_accounts"]))
    scope = run.manifest.get("scope") or {}
    pacing = pacing_part(run.pacing, f"branch {one_line(scope.get('branch'))}" if scope.get("scope") == "branch"
                         else "the dealership")
    link = _link(settings, run.run_dir, "accounts.html")
    out = []
    for owner in [*owners, None]:
        mine = alerts[alerts["owner"] == owner] if owner else alerts[alerts["owner"].isna()]
        if owner is None and not len(mine):
            continue
        rep = one_line(names.get(owner)) or one_line(owner)
        address = single_address(emails.get(owner)) if owner else None
        to, greeting = ((address, rep), f"Hello {rep},") if address else ((one_line(conf["catch_all"]), ""), "Hello,")
        note = f"rep {owner} has no usable email in this run; addressed to the catch-all address" \
            if owner and not address else ""
        who = rep if owner else "accounts without an owner"
        intro = (f"Your accounts, {run.period_text}." if address else
                 f"The digest of {who}{f' ({owner})' if owner else ''}, {run.period_text}: "
                 "it comes to you as no usable email is known for its owner.")
        owned = accounts[accounts["owner"] == owner] if owner else accounts[accounts["owner"].isna()]
        parts = [([intro], f"<p>{html.escape(intro)}</p>"), pacing, alerts_part(mine), movers_part(owned, top)]
        name = "_no_owner.eml" if owner is None else safe_name(owner) + ".eml"
        out.append(_digest(f"owner-{name}", to, _subject(dealer, who, len(mine), run), greeting, parts, link,
                           dealer, len(mine) > 0, owner or "", note))
    return out


def _subject(dealer: str, who: str, count: int, run: RunFiles) -> str:
    return f"{dealer} digest for {who}: {count} alert{'s' if count != 1 else ''}, {run.period_text.split(' · ')[0]}"


def _branch_folder(run: RunFiles, branch: str) -> Path | None:
    """The pack of one branch in the run (when it made branch packs), or the run itself when it is that branch's."""
    scope = run.manifest.get("scope") or {}
    if scope.get("scope") == "branch" and scope.get("branch") == branch:
        return run.run_dir
    for pack in (run.manifest.get("branches") or {}).get("packs") or []:
        if pack.get("branch") == branch and pack.get("folder"):
            return run.run_dir / pack["folder"]
    return None


def branch_digests(run: RunFiles, settings: Mapping) -> list[Digest]:
    """One digest per branch manager of `notify.branch_managers`: their branch's pacing and league position."""
    conf, dealer = settings["notify"], one_line(settings["dealer_name"])
    out = []
    for branch, address in sorted((conf.get("branch_managers") or {}).items()):
        branch, address = one_line(branch), single_address(address)
        folder = _branch_folder(run, branch)
        mine = run.league[run.league["branch"] == branch] if run.league is not None else None
        label = one_line(mine["name"].iloc[0]) if mine is not None and len(mine) and one_line(mine["name"].iloc[0]) \
            else f"branch {branch}"
        sub = read_run(folder) if folder is not None else None
        alerts = len(sub.alerts) if sub is not None and sub.alerts is not None else 0
        parts = [pacing_part(sub.pacing if sub is not None else None, label)]
        if mine is not None and len(mine):
            total = len(run.league)
            text, rows = league_rows(mine)
            rank = mine["rank"].iloc[0]
            position = f"Position {int(rank)} of {total}" if rank == rank else f"Not ranked (of {total})"
            parts.append(([f"League of the group's branches: {position}.", *text, f"Alerts on the branch: {alerts}."],
                          f"<h2>League: {html.escape(position)}</h2>{_rows(rows)}"
                          f"<p>Alerts on the branch: {alerts}</p>"))
        else:
            parts.append((["League position: not in this run."], "<h2>League</h2><p>Not in this run.</p>"))
        to = (address, "") if address else (one_line(conf["catch_all"]), "")
        note = "" if address else f"branch {branch}'s manager address is not one address; addressed to the catch-all"
        subject = _subject(dealer, label, alerts, run)
        where = _link(settings, run.run_dir, f"{folder.relative_to(run.run_dir).as_posix()}/index.html"
                      if folder is not None and folder != run.run_dir else "index.html")
        out.append(_digest(f"branch-{safe_name(branch)}.eml", to, subject, "Hello,", parts, where, dealer,
                           alerts > 0, note=note))
    return out


def principal_digest(run: RunFiles, settings: Mapping) -> list[Digest]:
    """The dealer principal's digest (`notify.principal`): the group's pacing and the top of the league."""
    conf, dealer = settings["notify"], one_line(settings["dealer_name"])
    address = single_address(conf.get("principal"))
    if not address:
        return []
    alerts = len(run.alerts) if run.alerts is not None else 0
    parts = [pacing_part(run.pacing, "the group")]
    if run.league is not None and len(run.league):
        text, rows = league_rows(run.league)
        parts.append((["Top of the league:", *text[:LEAGUE_TOP]],
                      f"<h2>Top of the league</h2>{_rows(rows[:LEAGUE_TOP])}"))
    parts.append(([f"Alerts in the pack: {alerts}."], f"<p>Alerts in the pack: {alerts}</p>"))
    subject = _subject(dealer, "the group", alerts, run)
    return [_digest("principal.eml", (address, ""), subject, "Hello,", parts,
                    _link(settings, run.run_dir, "index.html"), dealer, alerts > 0)]


def digests(run_dir: str | Path, settings: Mapping) -> dict[str, bytes]:
    """The digests of a run to send, keyed by file name: under `notify.digest_when: alerts` only those with alerts."""
    when = one_line(settings["notify"].get("digest_when"))
    if when not in WHEN:
        raise NotifyError(f"notify.digest_when must be one of {', '.join(WHEN)}, not {when!r}")
    run = read_run(Path(run_dir))
    if run.alerts is None or run.accounts is None:
        raise NotifyError(f"{run_dir} has no alerts.csv or accounts table: run the accounts report into it first")
    conf = settings["notify"]
    out = {}
    for d in owner_digests(run, settings) + branch_digests(run, settings) + principal_digest(run, settings):
        if when == "alerts" and not d.has_alerts:
            continue
        sender = (one_line(conf["sender"]), f"{one_line(settings['dealer_name'])} reports")
        headers = {"Subject": d.subject, "From": sender,
                   "To": d.to if d.to[0] else None, "Date": format_datetime(dt.datetime.now(dt.timezone.utc)),
                   "Message-ID": make_msgid(domain=domain(conf["sender"])), OWNER_HEADER: d.owner or None,
                   NOTE_HEADER: d.note}
        out[d.name] = email_bytes(headers, d.text, d.page)
    return out


def send_digests(run_dir: str | Path, smtp: str, *, sender: str | None = None, dry_run: bool = False,
                 settings: Mapping | None = None, progress: Callable[[str], None] = lambda _: None) -> Outcome:
    """Send the digests of `run_dir` through `smtp` (HOST:PORT), as `send` sends the owner emails."""
    run_dir = Path(run_dir)
    failed = failed_accounts(run_dir)
    if failed is not None:
        raise NotifyError(f"the Accounts report of {run_dir} failed ({failed}): its digests are not sent")
    settings = settings or run_settings(run_dir)
    messages = digests(run_dir, settings)
    with tempfile.TemporaryDirectory(prefix="aftersales-digest-") as staging:
        folder = Path(staging) / EMAILS_DIR
        folder.mkdir()
        for name, data in messages.items():
            (folder / name).write_bytes(data)
        return send(staging, smtp, sender=sender, dry_run=dry_run, settings=settings, progress=progress)


def digest_on_run(out_dir: Path, settings: Mapping) -> str:
    """Send a finished run's digests (`notify.digest_on_run`); a sentence saying what happened."""
    smtp = one_line(settings["notify"].get("smtp"))
    if not smtp:
        return "notify.digest_on_run is on but notify.smtp names no mail server: no digest was sent."
    try:
        outcome = send_digests(final_run_dir(Path(out_dir)), smtp, settings=settings)
    except (NotifyError, OSError) as exc:  # the pack is in place whatever happens here
        return f"The digests were not sent: {exc}"
    text = f"Digests sent through {smtp}: {len(outcome.sent)}."
    if outcome.failed:
        text += " Not sent: " + "; ".join(f"{n} ({why})" for n, why in outcome.failed) + "."
    return text
