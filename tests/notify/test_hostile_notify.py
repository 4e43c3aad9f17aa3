"""Hostile emails and file names (issue 23 "Reliability", points 6 and 8): an email cell holding two addresses,
an SMTP login without TLS, account codes no file system takes as a name, and the emails of a report that
failed — each made in the test, against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from mailserver import Mailbox

from aftersales import notify, params
from aftersales.cli import main
from aftersales.notify import run_emails
from factory import make_source

DATES_TEXT = "01 Mar 2024 to 31 Mar 2024"
PERIOD_TEXT = f"{DATES_TEXT} · as of 31 Mar 2024"
TWO = "rita@dealer.example, evil@x.example"


def settings(**notify_values):
    out = params.load()
    out["notify"] = {**out["notify"], "catch_all": "desk@dealer.example", "report_link_base": "https://r.example",
                     **notify_values}
    return out


def alert(account: str, owner: str | None, owner_email: str | None, **more) -> dict:
    return dict(rule="sales_decline", account=account, name=f"Customer {account}", owner=owner,
                owner_email=owner_email, value=-25.0, threshold=20.0, message="Sales fell 25.0%", document=None,
                owner_name="Rita Rep" if owner else None, **more)


def write_run(folder: Path, alerts: list[dict], contacts: dict[str, str | None], **notify_values) -> Path:
    frame = pd.DataFrame(alerts)
    declining = frame[frame["rule"] == "sales_decline"][["account", "name", "owner", "owner_email", "owner_name"]]
    info = pd.DataFrame({"account": list(contacts), "email": list(contacts.values())})
    notify.write_run_emails(folder, frame, declining, info, pd.DataFrame(columns=["rep", "name", "email"]),
                            settings(**notify_values), period_text=PERIOD_TEXT, dates_text=DATES_TEXT)
    return folder



def test_an_email_cell_holding_two_addresses_addresses_neither(tmp_path, server):
    """A rep's email cell `rita@dealer.example, evil@x.example` sends the rep's alerts to the catch-all address
    only, saying why, and a customer's contact cell holding two addresses leaves the outreach draft without
    recipient: the second address receives nothing."""
    run = write_run(tmp_path, [alert("A1", "R1", TWO)], {"A1": "buyer@a1.example; evil@x.example"})
    box = Mailbox()
    outcome = notify.send(run, server(box), settings=settings())
    assert outcome.sent == ["R1.eml"]
    assert box.recipients() == ["desk@dealer.example"]
    rita = notify.read(run / "emails" / "R1.eml")
    assert [a.addr_spec for a in rita["To"].addresses] == ["desk@dealer.example"]
    assert "is not one address" in rita[notify.NOTE_HEADER]
    assert any("is not one address" in n for n in outcome.notes)
    draft = notify.read(run / "emails" / "outreach" / "A1.eml")
    assert draft["To"] is None and draft["From"].addresses[0].addr_spec == "reports@dealer.example"


def test_email_cells_that_are_not_one_address_are_listed_in_data_quality(tmp_path):
    """A run's Accounts report lists every email cell of sales_reps and accounts that holds something other than
    one address in its data quality (and the landing page's summary), and addresses that rep's alerts to the
    catch-all address."""
    from aftersales.reports import accounts
    from aftersales.run import context as report

    folder = make_source(
        tmp_path / "src", parts_lines=[dict(document="D1", account="A1", quantity=1, selling_price=200)],
        labour_lines=[{}], accounts=[dict(account="A1", owner="R1", email="buyer@a1.example"),
                                     dict(account="A2", owner="R1", email="a@a2.example b@a2.example")],
        sales_reps=[dict(rep="R1", email=TWO), dict(rep="R2", email="r2@dealer.example")])
    limits = tmp_path / "alerts.yaml"  # D1 (Net 1 x 200 - 0 = 200) alerts as a large document
    limits.write_text("alerts:\n  large_document: 100\n", encoding="utf-8")
    out = tmp_path / "run"
    ctx = report.start("accounts", source=str(folder), date_from="2024-03-01", date_to="2024-03-31",
                       as_of="2024-03-31", out_dir=str(out), params_file=str(limits))
    try:
        rep = notify.deliver(ctx, accounts.build(ctx))
    finally:
        ctx.source.close()
    check = "email cells that do not hold exactly one address"
    [row] = [c for c in rep.quality.checks if c["check"] == check]
    assert row["rows"] == 2
    assert rep.quality.details[check].values.tolist() == [["sales_reps", "R1", TWO],
                                                          ["accounts", "A2", "a@a2.example b@a2.example"]]
    summary = json.loads((out / "summaries" / "accounts.json").read_text(encoding="utf-8"))
    assert {"check": check, "rows": 2, "treatment": row["treatment"]} in summary["quality"]
    owner = notify.read(out / "emails" / "R1.eml")
    assert [a.addr_spec for a in owner["To"].addresses] == ["aftersales@dealer.example"]  # the default catch-all


def _authenticator(calls: list):
    def check(server, session, envelope, mechanism, auth_data):
        calls.append(mechanism)
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"pw"
        return AuthResult(success=ok, handled=False)

    return check


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_login_without_tls_is_refused_unless_the_settings_allow_it(tmp_path, server):
    """With login on and STARTTLS off, `notify` refuses before the password leaves the machine (the server sees
    no login and no message) and names the setting; `notify.allow_plain_login: true` lets it log in."""
    run = write_run(tmp_path, [alert("A1", "R1", "rita@dealer.example")], {"A1": None})
    box, calls = Mailbox(), []
    address = server(box, authenticator=_authenticator(calls), auth_require_tls=False, auth_required=True)
    with pytest.raises(notify.NotifyError, match="allow_plain_login") as refused:
        notify.send(run, address, settings=settings(login=True, password_env="PW"), environ={"PW": "pw"})
    assert "in clear" in str(refused.value) and calls == [] and box.messages == []
    outcome = notify.send(run, address, settings=settings(login=True, password_env="PW", allow_plain_login=True),
                          environ={"PW": "pw"})
    assert outcome.sent == ["R1.eml"] and calls and box.recipients() == ["rita@dealer.example"]


# ---------------------------------------------------------------- point 8: file names from codes

_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{d}{i}" for d in ("COM", "LPT") for i in range(10)}
CODES = ["A1", "a1", "CON", "nul", "Com1", "lpt9.x", "x" * 300, "y" * 300, "z" * 2000, "a/b", "a\\b", "a_b", "a?b", "X.", "X ",
         ".hidden", "..", "Müller", "MÜLLER", "x'; DROP TABLE parts_lines; --", "", "_no_owner", "A1-2"]


def test_draft_file_names_are_valid_unique_and_short_whatever_the_code(tmp_path):
    """Every account code gives its draft a file name Linux, macOS and Windows take (letters, digits, `.`, `_`,
    `-`; no reserved device name, no leading dot; at most 100 characters), unique even where codes differ only
    by case or by replaced characters; the draft names its account code exactly in a header."""
    alerts = [dict(alert(code, "R1", "rita@dealer.example"), name="Customer") for code in CODES]
    run = write_run(tmp_path, alerts, {code: f"c{i}@x.example" for i, code in enumerate(CODES)})
    paths = sorted((run / "emails" / "outreach").iterdir())
    names = [p.name for p in paths]
    assert len(names) == len(CODES) == len({n.casefold() for n in names})
    for name in names:
        assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*\.eml", name) and len(name) <= 100, name
        assert name.split(".")[0].upper() not in _RESERVED, name
    assert all(len(line) <= 998 for p in paths for line in p.read_bytes().split(b"\r\n"))
    headers = sorted(notify.read(p)["X-Aftersales-Account"] or "" for p in paths)
    assert headers == sorted(c.strip() for c in CODES)  # a header holds a code as one line of text
    assert "A1.eml" in names and "a_b.eml" in names, "plain codes keep their own name"


# ---------------------------------------------------------------- point 8: a failed report's emails


def test_the_emails_of_a_failed_accounts_report_are_not_sent(tmp_path, server, capsys):
    """`aftersales notify` refuses a pack whose manifest says the Accounts report failed (exit 2, nothing sent,
    saying why), and sends the same emails once the report is ok."""
    run = write_run(tmp_path, [alert("A1", "R1", "rita@dealer.example")], {"A1": None})
    box = Mailbox()
    address = server(box)
    status = {"status": "failed", "error": "ValueError: boom (cell 7)", "seconds": 1.0}
    (run / "manifest.json").write_text(json.dumps({"reports": {"accounts": status}}), encoding="utf-8")
    assert main(["notify", str(run), "--smtp", address]) == 2
    err = capsys.readouterr().err
    assert "Accounts report" in err and "failed" in err and "ValueError: boom" in err and "Traceback" not in err
    assert box.messages == []
    (run / "manifest.json").write_text(json.dumps({"reports": {"accounts": {"status": "ok"}}}), encoding="utf-8")
    assert main(["notify", str(run), "--smtp", address]) == 0
    assert box.recipients() == ["rita@dealer.example"]


def test_emails_that_fail_to_be_written_leave_no_email_behind(tmp_path, monkeypatch):
    """When writing a run's emails fails part way (the drafts, after the owner emails), the run folder holds no
    emails folder at all (and no half-written one): nothing `notify` could send."""
    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run_emails, "outreach_messages", broken)
    with pytest.raises(OSError, match="No space left"):
        write_run(tmp_path, [alert("A1", "R1", "rita@dealer.example")], {"A1": "buyer@a1.example"})
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_run_whose_accounts_notebook_fails_after_writing_emails_sends_none(tmp_path, server):
    """A run whose Accounts notebook fails in a cell after its emails were written exits 1, and `aftersales
    notify` on that pack sends nothing."""
    from test_reliability import notebooks_with

    notebooks = notebooks_with(tmp_path, "accounts", "raise RuntimeError('a later cell fails')", last=True)
    folder = make_source(tmp_path / "src", parts_lines=[dict(date_edit="2024-03-04", quantity=1, selling_price=200)],
                         labour_lines=[{}], accounts=[dict(email="buyer@a1.example")], clockings=[{}],
                         sales_reps=[{}])
    limits = tmp_path / "alerts.yaml"  # D1 (Net 200) is a large document: R1 gets an email
    limits.write_text("alerts:\n  large_document: 100\n", encoding="utf-8")
    env = {**os.environ, "AFTERSALES_NOTEBOOKS": str(notebooks), "AFTERSALES_CACHE": str(tmp_path / "cache")}
    out = tmp_path / "pack"
    done = subprocess.run([sys.executable, "-m", "aftersales", "run", "--source", str(folder), "--from", "2024-03-01",
                           "--to", "2024-03-15", "--as-of", "2024-03-15", "--reports", "accounts", "--params",
                           str(limits), "--out", str(out)], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 1, done.stderr
    assert "a later cell fails" in done.stderr
    assert list((out / "emails").glob("*.eml")), "the emails were written before the failing cell"
    box = Mailbox()
    sent = subprocess.run([sys.executable, "-m", "aftersales", "notify", str(out), "--smtp", server(box)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert sent.returncode == 2 and "failed" in sent.stderr
    assert box.messages == []
