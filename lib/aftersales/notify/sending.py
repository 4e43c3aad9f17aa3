"""Sending a run's owner emails (`aftersales notify`, or on the run when the settings say so).

`send` delivers them through an SMTP server (STARTTLS and login when the settings say so; the
password comes from the environment variable the settings name, and a login without STARTTLS is
refused unless ``notify.allow_plain_login`` is true). Outreach drafts are never sent, and neither
are the emails of a run whose Accounts report failed (`failed_accounts`).
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from pathlib import Path

from aftersales.notify.mime import NOTE_HEADER, one_line, read
from aftersales.notify.owners import EMAILS_DIR


class NotifyError(ValueError):
    """Emails that cannot be sent at all (no emails folder, bad --smtp, no password, no server)."""


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
    host, sep, port = one_line(smtp).rpartition(":")
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


def failed_accounts(run_dir: Path) -> str | None:
    """Why the Accounts report of a finished run failed (its manifest says so), or None when it did not
    (or the folder has no manifest yet: a run sending its own emails, a folder made by hand)."""
    manifest = Path(run_dir) / "manifest.json"
    if not manifest.is_file():
        return None
    try:
        status = (json.loads(manifest.read_text(encoding="utf-8")).get("reports") or {}).get("accounts")
    except (ValueError, OSError, AttributeError) as exc:
        return f"its manifest cannot be read: {exc}"
    if not isinstance(status, dict) or status.get("status") in (None, "ok"):
        return None
    return one_line(status.get("error")) or one_line(status.get("status"))


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
    failed = failed_accounts(run_dir)
    if failed is not None:
        raise NotifyError(f"the Accounts report of {run_dir} failed ({failed}): its alert emails may be incomplete "
                          "or wrong and are not sent; run the report again")
    conf = dict((settings or run_settings(run_dir))["notify"])
    environ = os.environ if environ is None else environ
    outcome = Outcome(dry_run=dry_run)
    queue: list[tuple[str, EmailMessage, list[str], str]] = []
    for path in owner_files(run_dir):
        msg = read(path)
        if sender:
            del msg["From"]
            msg["From"] = sender
        envelope = parseaddr(one_line(sender or msg["From"] or conf["sender"]))[1]
        addressed = [str(v) for v in (msg.get_all("To") or []) + (msg.get_all("Cc") or [])]
        recipients = [a for _, a in getaddresses(addressed) if a]
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
    if conf.get("login") and not conf.get("starttls") and not conf.get("allow_plain_login"):
        raise NotifyError(f"the SMTP login to {host}:{port} would send the password in clear: the connection is not "
                          "encrypted (notify.starttls is false). Switch notify.starttls on, or set "
                          "notify.allow_plain_login: true to log in without TLS all the same")
    if conf.get("login"):
        variable = one_line(conf.get("password_env"))
        password = environ.get(variable) if variable else None
        if not password:
            raise NotifyError("the SMTP login needs a password in the environment variable "
                              f"{variable or '(none named)'}, which is not set")
    user = one_line(conf.get("username")) or one_line(conf["sender"])

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
    smtp = one_line(settings["notify"].get("smtp"))
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
