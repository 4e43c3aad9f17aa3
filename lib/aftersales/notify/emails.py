"""Alert emails: written by the Accounts report into `<run>/emails/`, sent by `aftersales notify`.

- `<run>/emails/<owner>.eml`: one per owner with alerts, to the rep's email (alerts of
  accounts without an owner, and of a rep without an email, go to the catch-all address);
  a plain-text part and a short HTML part listing the alerts with their figures and a link
  to the report.
- `<run>/emails/outreach/<account>.eml`: a draft to each declining customer, for its owner
  to review and send; polite, names the account, no internal figures. Never sent here.

`send` delivers the owner emails through an SMTP server (STARTTLS and login when the
settings say so; the password comes from the environment variable the settings name).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import html
import json
import os
import quopri
import re
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email import policy
from email.charset import BASE64, Charset
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, formataddr, getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported by the report, not by `aftersales notify`
    import pandas as pd

EMAILS_DIR = "emails"
OUTREACH_DIR = "outreach"
#: The file of the alerts of accounts that have no owner.
NO_OWNER_FILE = "_no_owner.eml"
#: Header naming the owner an email is for, and one explaining a re-addressed email.
OWNER_HEADER = "X-Aftersales-Owner"
NOTE_HEADER = "X-Aftersales-Note"


class NotifyError(ValueError):
    """Emails that cannot be sent at all (no emails folder, bad --smtp, no password, no server)."""


# ---------------------------------------------------------------- writing


def _text(value) -> str:
    """A value from the data as one line of text (empty for empty values)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return _BREAKS.sub(" ", str(value)).strip()


#: Every character str.splitlines() breaks at (and tabs): a header cannot hold one.
_BREAKS = re.compile(r"[\r\n\t\v\f\x1c-\x1e\x85\u2028\u2029]+")


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


def safe_name(code: str) -> str:
    """A file name for a code: characters other than letters, digits, `.`, `_`, `-` become `_`."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", code) or "_"
    return "_" + name if name.startswith(".") else name


def report_link(settings: Mapping, out_dir: Path | None) -> str:
    """Where the Accounts report of the run is read: the configured base, else the run folder."""
    base = _text(settings["notify"].get("report_link_base"))
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
    bytes (`_email_bytes`): a plain-text part and an HTML part."""
    from aftersales.reports.alerts import RULE_TITLES

    conf = settings["notify"]
    dealer = _text(settings["dealer_name"])
    first = alerts.iloc[0]
    rep_name = _text(first["owner_name"]) or _text(owner)
    email = _text(first["owner_email"])
    note = ""
    if owner is None:
        to, greeting = (_text(conf["catch_all"]), ""), "Hello,"
        intro = "These accounts have no owner in the accounts table, so their alerts come to you."
    elif email:
        to, greeting, intro = (email, rep_name), f"Hello {rep_name},", "Alerts on the accounts you own:"
    else:
        to, greeting = (_text(conf["catch_all"]), ""), "Hello,"
        note = f"rep {owner} has no email in sales_reps; addressed to the catch-all address"
        intro = (f"{rep_name} ({owner}) has no email in sales_reps, so the alerts on the accounts "
                 f"{owner} owns come to you.")
    count = len(alerts)
    who = rep_name if owner is not None else "accounts without an owner"
    headers = {
        "Subject": _text(f"{dealer} alerts for {who}: {count} alert{'s' if count != 1 else ''}, "
                         f"{period_text.split(' · ')[0]}"),
        "From": (_text(conf["sender"]), f"{dealer} reports"),
        "To": to if to[0] else None,
        "Date": format_datetime(dt.datetime.now(dt.timezone.utc)),
        "Message-ID": make_msgid(domain=_domain(conf["sender"])),
        OWNER_HEADER: _text(owner) if owner is not None else None,
        NOTE_HEADER: note,
    }

    # each alert's cells once: alert, account, name, figure, threshold, detail
    cells = [(RULE_TITLES.get(rule, rule), _text(account), _text(name), _figure(rule, value),
              _threshold(rule, threshold), _text(message))
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
    return _email_bytes(headers, "\n".join(lines) + "\n", page)


#: The body of an outreach draft; only the customer's name, the signature and the dealer vary.
OUTREACH_TEXT = (
    "Dear {name},\n"
    "\n"
    "Thank you for choosing {dealer} for your parts and servicing. It has been a little while since "
    "we last worked together as often as we used to, and we would like to make sure we are still "
    "giving you the service you expect.\n"
    "\n"
    "If there is anything we could do better — availability of parts, workshop booking times, "
    "collection and delivery, or simply a review of your vehicles' upcoming maintenance — "
    "we would be glad to hear from you. Just reply to this email and we will get back to you.\n"
    "\n"
    "Kind regards,\n"
    "{sign}\n"
    "{dealer}\n"
)


def outreach_message(account: Mapping, *, contact: str, settings: Mapping, date: str | None = None) -> bytes:
    """A polite draft to a declining customer, from its owner: names the account, no figures.

    The draft as RFC 5322 bytes (see `_email_bytes`): thousands are written in a run, and
    an `EmailMessage` costs milliseconds each. `date` is the Date header (default: now).
    """
    conf = settings["notify"]
    dealer = _text(settings["dealer_name"])
    name = _text(account.get("name")) or _text(account["account"])
    rep_name = _text(account.get("owner_name"))
    rep_email = _text(account.get("owner_email"))
    sign = rep_name or f"The {dealer} aftersales team"
    return _email_bytes({
        "Subject": _text(f"{dealer}: keeping in touch with {name}"),
        "From": (rep_email, rep_name) if rep_email else (_text(conf["sender"]), dealer),
        "To": (contact, name) if contact else None,
        "Date": date or format_datetime(dt.datetime.now(dt.timezone.utc)),
        "X-Unsent": "1",  # opens as a draft to edit and send
        OWNER_HEADER: _text(account.get("owner")),
    }, OUTREACH_TEXT.format(name=name, dealer=dealer, sign=sign))


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
        name = _unique(name, out)
        out[name] = owner_message(owner, mine.reset_index(drop=True), settings=settings,
                                  period_text=period_text, link=link)
    return out


def outreach_messages(declining: pd.DataFrame, info: pd.DataFrame, *, settings: Mapping) -> dict[str, bytes]:
    """One draft per declining account (its bytes), keyed by its file name (`<account>.eml`); one Date for all."""
    contacts = dict(zip(info["account"], info["email"])) if len(info) else {}
    date = format_datetime(dt.datetime.now(dt.timezone.utc))
    out: dict[str, bytes] = {}
    for account in declining.drop_duplicates("account").to_dict("records"):
        name = _unique(safe_name(account["account"]) + ".eml", out)
        out[name] = outreach_message(account, contact=_text(contacts.get(account["account"])), settings=settings,
                                     date=date)
    return out


def _unique(name: str, taken: Mapping) -> str:
    stem, n = name[:-4], 2
    while name in taken:
        name, n = f"{stem}-{n}.eml", n + 1
    return name


def _domain(address: str) -> str | None:
    addr = parseaddr(_text(address))[1]
    return addr.split("@", 1)[1] if "@" in addr else None


#: A line of a header, at most (RFC 5322's recommended length).
_LINE = 78
#: UTF-8 header words in base64: the stock charset measures the Q length of every character to pick the shorter.
_UTF8 = Charset("utf-8")
_UTF8.header_encoding = BASE64
#: An RFC 2047 encoded word of UTF-8 in base64 (`_WORD.format(data)`; its length without the data).
_WORD = "=?utf-8?b?{}?="
#: An address the header registry takes without parsing it (`local@domain`, each of dot-atoms).
_DOT_ATOM_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                               r"@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")
#: A word of header text with the spaces before it.
_TOKEN = re.compile(r" *[^ ]+| +$")
#: The boundary of an email's parts: base64 lines never hold a "-", so never a boundary line.
_BOUNDARY = "aftersales-part-boundary"
_PLAIN_TEXT = ('Content-Type: text/plain; charset="utf-8"\r\n'
               "Content-Transfer-Encoding: quoted-printable\r\nMIME-Version: 1.0\r\n\r\n")


def _email_bytes(headers: Mapping[str, str | tuple[str, str] | None], text: str, page: str | None = None) -> bytes:
    """A UTF-8 email as RFC 5322 bytes with CRLF line ends, without building an `EmailMessage`
    (which costs milliseconds each: a run writes thousands).

    A header's value is one line of text, or an (email, name) pair for an address header;
    empty ones are left out. Headers are RFC 2047 words where not plain ASCII (`_words`,
    `_mailbox`). The body is `text` as text/plain in quoted-printable; with an HTML `page`, a
    multipart/alternative of the two, each in base64. `read` gives back the same values.
    """
    head = "".join(f"{field}: {_mailbox(field, *value) if isinstance(value, tuple) else _words(field, value)}\r\n"
                   for field, value in headers.items() if value)
    if page is None:
        return (head + _PLAIN_TEXT).encode("ascii") + quopri.encodestring(text.encode("utf-8")).replace(b"\n", b"\r\n")
    parts = "".join(f"--{_BOUNDARY}\r\nContent-Type: text/{kind}; charset=\"utf-8\"\r\n"
                    f"Content-Transfer-Encoding: base64\r\n\r\n"
                    + base64.encodebytes(body.encode("utf-8")).decode("ascii").replace("\n", "\r\n")
                    for kind, body in (("plain", text), ("html", page)))
    return (f"{head}MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"{_BOUNDARY}\"\r\n\r\n"
            f"{parts}--{_BOUNDARY}--\r\n").encode("ascii")


def _words(field: str, text: str) -> str:
    """`text` as the value of the unstructured header `field`: ASCII as it is (folded at its spaces where
    long), other text in RFC 2047 UTF-8 words (folded; a reader joins them again)."""
    if _plain(text):
        return _fold(field, text)
    data, words, start = text.encode("utf-8"), [], 0
    room = _LINE - len(field) - 2  # the first line holds `field: ` too; the others a leading space
    while start < len(data):
        end = min(start + max(6, (room - len(_WORD.format(''))) // 4 * 3), len(data))  # 3 bytes: 4 base64 characters
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a word holds whole characters only
            end -= 1
        words.append(_WORD.format(base64.b64encode(data[start:end]).decode("ascii")))
        start, room = end, _LINE - 1
    return "\r\n ".join(words)


@functools.lru_cache(maxsize=1024)  # a rep's From is the same in each of their drafts
def _mailbox(field: str, email: str, name: str) -> str:
    """`name <email>` as the value of the header `field`: the name quoted where it has specials, else
    one RFC 2047 word where it is not plain ASCII (one: `read` puts a space between the words of a
    name split in several); the text of `email` alone where it is not one address."""
    try:
        if not (_DOT_ATOM_ADDRESS.fullmatch(email) and "\r" not in name and "\n" not in name):
            Address(display_name=name, addr_spec=email)  # refuses what the header registry would not take
        value = formataddr((name, email), _UTF8)  # UnicodeError (a ValueError): non-ASCII address
    except (ValueError, IndexError, TypeError, HeaderParseError):
        return _words(field, email)
    if name.isascii() and not _plain(name):  # formataddr encodes only a non-ASCII name
        value = f"{_UTF8.header_encode(name)} <{email}>"
    return _fold(field, value)


def _plain(text: str) -> bool:
    """Whether `text` can stand in a header as it is: ASCII, with nothing a reader would decode as RFC 2047."""
    return text.isascii() and "=?" not in text


def _fold(field: str, text: str) -> str:
    """ASCII `text` folded at its spaces where the line `field: text` would be longer than 78 characters."""
    width = len(field) + 2
    if width + len(text) <= _LINE:
        return text
    out = []
    for token in _TOKEN.findall(text):  # a word with the spaces before it: a fold goes before them
        if width + len(token) > _LINE and (out or not token.startswith(" ")):
            out.append("\r\n" if token.startswith(" ") else "\r\n ")
            width = 0
        out.append(token)
        width += len(token)
    return "".join(out)


def write(folder: Path, messages: Mapping[str, bytes]) -> list[Path]:
    """Write each message's bytes as `<folder>/<name>`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    where = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)  # thousands of drafts: open each by name in it
    try:
        for name, data in messages.items():
            handle = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=where)
            with open(handle, "wb") as out:
                out.write(data)
            paths.append(folder / name)
    finally:
        os.close(where)
    return paths


def write_run_emails(out_dir: Path, alerts: pd.DataFrame, declining: pd.DataFrame, info: pd.DataFrame,
                     reps: pd.DataFrame, settings: Mapping, *, period_text: str) -> list[Path]:
    """Write the owner emails and the outreach drafts of a run into `<out_dir>/emails/`."""
    folder = Path(out_dir) / EMAILS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    link = report_link(settings, Path(out_dir))
    written = write(folder, owner_messages(alerts, settings=settings, period_text=period_text, link=link))
    if len(declining):
        written += write(folder / OUTREACH_DIR, outreach_messages(declining, info, settings=settings))
    return written


# ---------------------------------------------------------------- sending


@dataclass
class Outcome:
    """What `send` did: the files sent, those that failed (with why), and notes to report."""

    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed


def parse_smtp(smtp: str) -> tuple[str, int]:
    """`HOST:PORT` → (host, port); a NotifyError names a malformed value."""
    host, sep, port = _text(smtp).rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise NotifyError(f"--smtp {smtp!r}: give the mail server as HOST:PORT, e.g. localhost:25")
    return host.strip("[]"), int(port)


def run_settings(run_dir: Path) -> dict:
    """The settings a run was made with (its manifest), with defaults for any notify key it lacks."""
    from aftersales import params

    defaults = params.load()
    manifest = Path(run_dir) / "manifest.json"
    if manifest.exists():
        settings = json.loads(manifest.read_text(encoding="utf-8")).get("settings") or {}
        merged = {**defaults, **settings}
        merged["notify"] = {**defaults["notify"], **(settings.get("notify") or {})}
        return merged
    return defaults


def read(path: Path) -> EmailMessage:
    with open(path, "rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)


def owner_files(run_dir: Path) -> list[Path]:
    """The owner emails of a run (outreach drafts are not among them: the owners send those)."""
    folder = Path(run_dir) / EMAILS_DIR
    if not folder.is_dir():
        raise NotifyError(f"{run_dir} has no {EMAILS_DIR} folder: run the accounts report into it first")
    return sorted(folder.glob("*.eml"))


def send(run_dir: str | Path, smtp: str, *, sender: str | None = None, dry_run: bool = False,
         settings: Mapping | None = None, environ: Mapping[str, str] | None = None,
         ssl_context: ssl.SSLContext | None = None, timeout: float = 30.0,
         progress: Callable[[str], None] = lambda _: None) -> Outcome:
    """Send the owner emails of `run_dir` through the SMTP server `smtp` (HOST:PORT).

    A message the server refuses is listed as failed and the others are still sent; a
    message with no recipient is listed as failed without contacting anyone. With
    `dry_run` nothing is sent and no connection is made.
    """
    host, port = parse_smtp(smtp)
    run_dir = Path(run_dir)
    conf = dict((settings or run_settings(run_dir))["notify"])
    environ = os.environ if environ is None else environ
    outcome = Outcome(dry_run=dry_run)
    queue: list[tuple[str, EmailMessage, list[str], str]] = []
    for path in owner_files(run_dir):
        msg = read(path)
        if sender:
            del msg["From"]
            msg["From"] = sender
        envelope = parseaddr(_text(sender or msg["From"] or conf["sender"]))[1]
        recipients = [a for _, a in getaddresses([str(v) for v in (msg.get_all("To") or []) + (msg.get_all("Cc") or [])]) if a]
        if msg[NOTE_HEADER]:
            outcome.notes.append(f"{path.name}: {msg[NOTE_HEADER]}")
        if not recipients:
            why = "no recipient (the rep has no email and no catch-all address is set)"
            outcome.failed.append((path.name, why))
            progress(f"not sent {path.name}: {why}")
            continue
        queue.append((path.name, msg, recipients, envelope))
    if dry_run:
        for name, msg, recipients, _ in queue:
            progress(f"would send {name} to {', '.join(recipients)}: {msg['Subject']}")
        return outcome
    if not queue:
        return outcome
    password = None
    if conf.get("login"):
        variable = _text(conf.get("password_env"))
        password = environ.get(variable) if variable else None
        if not password:
            raise NotifyError(f"the SMTP login needs a password in the environment variable {variable or '(none named)'}, "
                              "which is not set")
    user = _text(conf.get("username")) or _text(conf["sender"])

    def connect() -> smtplib.SMTP:
        try:
            conn = smtplib.SMTP(host, port, timeout=timeout)
        except OSError as exc:
            raise NotifyError(f"cannot reach the mail server {host}:{port}: {exc}") from None
        try:
            if conf.get("starttls"):
                conn.starttls(context=ssl_context or ssl.create_default_context())
            if password is not None:
                conn.login(user, password)
        except smtplib.SMTPAuthenticationError as exc:
            conn.close()
            raise NotifyError(f"the mail server {host}:{port} refused the login of {user}: "
                              f"{exc.smtp_code} {_reply(exc.smtp_error)}") from None
        except (smtplib.SMTPException, OSError) as exc:
            conn.close()
            raise NotifyError(f"the mail server {host}:{port} could not be used: {exc}") from None
        return conn

    conn = connect()
    try:
        for name, msg, recipients, envelope in queue:
            if conn is None:
                conn = connect()
            try:
                refused = conn.send_message(msg, from_addr=envelope, to_addrs=recipients)
            except smtplib.SMTPRecipientsRefused as exc:
                why = "; ".join(f"{a}: {c} {_reply(m)}" for a, (c, m) in exc.recipients.items())
                outcome.failed.append((name, f"refused {why}"))
                progress(f"FAILED {name}: refused {why}")
                _reset(conn)
                continue
            except smtplib.SMTPResponseException as exc:
                outcome.failed.append((name, f"refused: {exc.smtp_code} {_reply(exc.smtp_error)}"))
                progress(f"FAILED {name}: refused: {exc.smtp_code} {_reply(exc.smtp_error)}")
                _reset(conn)
                continue
            except (smtplib.SMTPException, OSError) as exc:
                outcome.failed.append((name, f"{type(exc).__name__}: {exc}"))
                progress(f"FAILED {name}: {exc}")
                _close(conn)
                conn = None
                continue
            if refused:
                why = "; ".join(f"{a}: {c} {_reply(m)}" for a, (c, m) in refused.items())
                outcome.failed.append((name, f"refused for {why} (sent to the other recipients)"))
                progress(f"FAILED {name}: refused for {why}")
            else:
                outcome.sent.append(name)
                progress(f"sent {name} to {', '.join(recipients)}")
    finally:
        if conn is not None:
            _close(conn, polite=True)
    return outcome


def _reply(text) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _reset(conn: smtplib.SMTP) -> None:
    try:
        conn.rset()
    except (smtplib.SMTPException, OSError):
        pass


def _close(conn: smtplib.SMTP, polite: bool = False) -> None:
    try:
        if polite:
            conn.quit()
        else:
            conn.close()
    except (smtplib.SMTPException, OSError):
        conn.close()


def send_on_run(out_dir: Path, settings: Mapping) -> str:
    """Send a run's owner emails when its settings switch it on; a sentence saying what happened."""
    smtp = _text(settings["notify"].get("smtp"))
    if not smtp:
        return "notify.send_on_run is on but notify.smtp names no mail server: no email was sent."
    try:
        outcome = send(out_dir, smtp, settings=settings)
    except NotifyError as exc:
        return f"The alert emails were not sent: {exc}"
    text = f"Alert emails sent through {smtp}: {len(outcome.sent)}."
    if outcome.failed:
        text += " Not sent: " + "; ".join(f"{n} ({why})" for n, why in outcome.failed) + "."
    return text
