"""Alert emails: what is written into a run's emails/, and delivery through a real SMTP server."""

from __future__ import annotations

import datetime as dt
import shutil
import ssl
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from mailserver import Mailbox, bodies, free_port

from aftersales import notify, params
from aftersales.cli import main

DATES_TEXT = "01 Mar 2024 to 31 Mar 2024"
PERIOD_TEXT = f"{DATES_TEXT} · as of 31 Mar 2024"

ALERTS = pd.DataFrame([
    dict(rule="gp_drop", account="A1", name="Alpha Garage", owner="R1", owner_email="rita@example.com",
         value=-7.5, threshold=5.0, message="GP% fell 7.5 points", document=None, owner_name="Rita Rep"),
    dict(rule="sales_decline", account="A1", name="Alpha Garage", owner="R1", owner_email="rita@example.com",
         value=-25.0, threshold=20.0, message="Sales fell 25.0%", document=None, owner_name="Rita Rep"),
    dict(rule="large_document", account="A2", name="Beta & <Sons>", owner="R2", owner_email="bob@example.com",
         value=6123.45, threshold=5000.0, message="Invoice D9 of 2024-03-05: Net 6,123.45", document="D9",
         owner_name="Bob Rep"),
    dict(rule="sales_decline", account="A3", name="Gamma", owner="R3", owner_email=None,
         value=-40.0, threshold=20.0, message="Sales fell 40.0%", document=None, owner_name="Carl NoMail"),
    dict(rule="large_document", account="ZZ", name=None, owner=None, owner_email=None,
         value=5000.0, threshold=5000.0, message="Invoice D8 of 2024-03-06: Net 5,000.00", document="D8",
         owner_name=None),
])
INFO = pd.DataFrame([
    dict(account="A1", name="Alpha Garage", owner="R1", territory="N", segment="F", email="buyer@alpha.example"),
    dict(account="A3", name="Gamma", owner="R3", territory="N", segment="F", email=None),
])
REPS = pd.DataFrame([dict(rep="R1", name="Rita Rep", email="rita@example.com")])


def settings(**notify_values):
    out = params.load()
    out["notify"] = {**out["notify"], "report_link_base": "https://reports.example/pack", **notify_values}
    return out


def write_run(folder: Path, **notify_values) -> Path:
    declining = ALERTS[ALERTS["rule"] == "sales_decline"][["account", "name", "owner", "owner_email", "owner_name"]]
    notify.write_run_emails(folder, ALERTS, declining, INFO, REPS, settings(**notify_values), period_text=PERIOD_TEXT,
                            dates_text=DATES_TEXT)
    return folder


# ---------------------------------------------------------------- writing


def test_one_email_per_owner_with_their_alerts_and_figures(tmp_path):
    """Each owner gets one email, to their address, listing only their alerts with the figures and the report link."""
    run = write_run(tmp_path)
    names = sorted(p.name for p in (run / "emails").glob("*.eml"))
    assert names == ["R1.eml", "R2.eml", "R3.eml", "_no_owner.eml"]
    rita = notify.read(run / "emails" / "R1.eml")
    assert rita["To"].addresses[0].addr_spec == "rita@example.com"
    assert "2 alerts" in rita["Subject"] and "01 Mar 2024 to 31 Mar 2024" in rita["Subject"]
    plain, html = bodies(rita)
    for text in (plain, html):
        assert "-7.5 pts" in text and "-25.0 %" in text and "Alpha Garage" in text
        assert "https://reports.example/pack/accounts.html" in text
        assert "Beta" not in text
    bob_html = bodies(notify.read(run / "emails" / "R2.eml"))[1]
    assert "6,123.45" in bob_html and "Beta &amp; &lt;Sons&gt;" in bob_html, "names from the data are escaped"


def test_no_owner_and_rep_without_email_go_to_the_catch_all(tmp_path):
    """Alerts with no owner, and a rep with no email, are addressed to the catch-all address, saying why."""
    run = write_run(tmp_path, catch_all="desk@example.com")
    orphan = notify.read(run / "emails" / "_no_owner.eml")
    assert orphan["To"].addresses[0].addr_spec == "desk@example.com"
    assert "5,000.00" in bodies(orphan)[0]
    carl = notify.read(run / "emails" / "R3.eml")
    assert carl["To"].addresses[0].addr_spec == "desk@example.com"
    assert "no email" in carl[notify.NOTE_HEADER]
    assert "Carl NoMail (R3) has no email" in bodies(carl)[0]


def test_owner_email_with_accented_names_reads_back_as_written(tmp_path):
    """A rep and accounts with accented, long and quoted names: the email reads back exactly, in both parts."""
    rep = "Zoë Ångström-Ødegård, Parts & Service"
    alerts = ALERTS.iloc[[0, 1]].assign(owner_name=rep, name=LONG_ACCENTED)
    alerts.loc[1, "name"] = 'Smith, Jones & "Sons" – Łódź'
    notify.write_run_emails(tmp_path, alerts, alerts.iloc[:0], INFO, REPS, settings(), period_text=PERIOD_TEXT,
                            dates_text=DATES_TEXT)
    raw = (tmp_path / "emails" / "R1.eml").read_bytes()
    assert raw.isascii() and b"\n" not in raw.replace(b"\r\n", b""), "ASCII with CRLF line ends only"
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert all(len(line) <= 78 for line in head if not line.lstrip().startswith(b"=?")), "headers folded"
    msg = notify.read(tmp_path / "emails" / "R1.eml")
    assert not msg.defects and not [k for k, v in msg.items() if v.defects]
    assert msg["Subject"] == f"Demo Motors alerts for {rep}: 2 alerts, 01 Mar 2024 to 31 Mar 2024"
    [to] = msg["To"].addresses
    assert (to.display_name, to.addr_spec) == (rep, "rita@example.com")
    assert msg[notify.OWNER_HEADER] == "R1"
    assert msg.get_content_type() == "multipart/alternative"
    plain, page = bodies(msg)
    assert plain.startswith(f"Hello {rep},\n\nAlerts on the accounts you own:\nPeriod: {PERIOD_TEXT}\n\n")
    assert f"- GP% drop: A1 {LONG_ACCENTED} — figure -7.5 pts (threshold 5 pts)." in plain
    assert 'A1 Smith, Jones & "Sons" – Łódź — figure -25.0 %' in plain
    assert "Smith, Jones &amp; &quot;Sons&quot; – Łódź" in page and LONG_ACCENTED.replace("&", "&amp;") in page


def test_outreach_drafts_are_polite_and_hold_no_figures(tmp_path):
    """Each declining account gets a draft to the customer from its owner, naming it, with no internal figure."""
    run = write_run(tmp_path)
    drafts = sorted(p.name for p in (run / "emails" / "outreach").glob("*.eml"))
    assert drafts == ["A1.eml", "A3.eml"]
    alpha = notify.read(run / "emails" / "outreach" / "A1.eml")
    assert alpha["To"].addresses[0].addr_spec == "buyer@alpha.example"
    assert alpha["From"].addresses[0].addr_spec == "rita@example.com"
    assert alpha["X-Unsent"] == "1"
    text = alpha.get_body(("plain",)).get_content()
    assert "Dear Alpha Garage" in text and "Rita Rep" in text
    assert not any(ch.isdigit() for ch in text), "no figures in a customer email"
    gamma = notify.read(run / "emails" / "outreach" / "A3.eml")
    assert gamma["To"] is None, "no contact email: the owner fills it in"


LONG_NAME = "Northern Regional Commercial Vehicle Fleet Maintenance and Parts Distribution Services Limited"
LONG_ACCENTED = "Autohaus Müller & Söhne, Zweigniederlassung Süd (Nutzfahrzeuge und Ersatzteile)"
#: (account, name, owner, rep name, rep email, contact email) → the name the draft uses, From (name, address)
DRAFTS = {
    "non-ascii": (("N1", "Délice «Garage» Ltd", "R1", "Jörg Müller", "jorg@example.com", "achat@delice.example"),
                  "Délice «Garage» Ltd", ("Jörg Müller", "jorg@example.com")),
    "specials": (("N2", 'Smith, Jones & "Sons" (Parts) @ Leeds', "R2", "Brown, Bob", "bob@example.com",
                  "buyer@smith.example"), 'Smith, Jones & "Sons" (Parts) @ Leeds', ("Brown, Bob", "bob@example.com")),
    "long": (("N3", LONG_NAME, "R1", "Rita Rep", "rita@example.com", "fleet@northern.example"),
             LONG_NAME, ("Rita Rep", "rita@example.com")),
    "long-accented": (("N4", LONG_ACCENTED, "R1", "Zoë Ångström-Ødegård, Parts & Service", "zoe@example.com",
                       "einkauf@autohaus.example"),
                      LONG_ACCENTED, ("Zoë Ångström-Ødegård, Parts & Service", "zoe@example.com")),
    "cjk-no-spaces": (("N5", "中文汽车配件有限公司" * 4, "R1", "王小明", "wang@example.com", "buy@cjk.example"),
                      "中文汽车配件有限公司" * 4, ("王小明", "wang@example.com")),
    "no-contact-rep-without-email": (("N6", "Gamma", "R3", "Carl NoMail", None, None),
                                     "Gamma", ("Demo Motors", "reports@dealer.example")),
    "looks-encoded-no-owner": (("N7", "=?utf-8?q?Fake?= Motors", "", "", "rep@example.com", "x@fake.example"),
                               "=?utf-8?q?Fake?= Motors", ("", "rep@example.com")),
    "line-breaks-no-name": (("N8", None, "R1", "Rita\u2028Rep", "rita@example.com", "n8@example.com"),
                            "N8", ("Rita Rep", "rita@example.com")),
    "form-feed": (("N9", "Form\x0cfeed\x1eCo", "R1", "Rita Rep", "rita@example.com", "n9@example.com"),
                  "Form feed Co", ("Rita Rep", "rita@example.com")),
}


@pytest.mark.parametrize("case", sorted(DRAFTS))
def test_outreach_draft_reads_back_as_written(tmp_path, case):
    """A draft's headers and body read back exactly (names with accents, specials, great length or none)."""
    (account, name, owner, rep_name, rep_email, contact), shown, sender = DRAFTS[case]
    declining = pd.DataFrame([dict(account=account, name=name, owner=owner, owner_name=rep_name,
                                   owner_email=rep_email)])
    info = pd.DataFrame([dict(account=account, email=contact)])
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    [path] = notify.write(tmp_path, notify.outreach_messages(declining, info, settings=settings()))
    assert path.name == f"{account}.eml"
    raw = path.read_bytes()
    assert raw.isascii() and b"\n" not in raw.replace(b"\r\n", b""), "ASCII with CRLF line ends only"
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert all(len(line) <= 78 for line in head if not line.lstrip().startswith(b"=?")), "headers folded"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))

    draft = notify.read(path)
    assert not draft.defects and not [k for k, v in draft.items() if v.defects]
    assert draft.keys() == (["Subject", "From"] + ["To"] * bool(contact) + ["Date", "X-Unsent"]
                            + [notify.OWNER_HEADER] * bool(owner) + ["X-Aftersales-Account", "Content-Type",
                                                                     "Content-Transfer-Encoding", "MIME-Version"])
    assert draft["Subject"] == f"Demo Motors: keeping in touch with {shown}"
    [got] = draft["From"].addresses
    assert (got.display_name, got.addr_spec) == sender
    if contact:
        [to] = draft["To"].addresses
        assert (to.display_name, to.addr_spec) == (shown, contact)
    assert draft["X-Unsent"] == "1"
    assert draft[notify.OWNER_HEADER] == (owner or None)
    assert before <= draft["Date"].datetime <= dt.datetime.now(dt.timezone.utc)
    assert draft.get_content_type() == "text/plain" and draft.get_param("charset") == "utf-8"
    sign = " ".join((rep_name or "").split()) or "The Demo Motors aftersales team"  # the rep signs, email or not
    text = draft.get_content().replace("\r\n", "\n")
    assert text == notify.OUTREACH_TEXT.format(name=shown, dealer="Demo Motors", sign=sign)
    assert text.startswith(f"Dear {shown},\n\nThank you for choosing Demo Motors ")
    assert "better — availability" in text and text.endswith(f"\nKind regards,\n{sign}\nDemo Motors\n")


def test_report_link_defaults_to_the_final_run_folder(tmp_path):
    """Without a link base the email names the report file where the run lands (not the temporary folder), as a path, not a file:// link."""
    tmp = tmp_path / ".pack.tmp-1234"
    link = notify.report_link(params.load(), tmp)
    assert link == str(tmp_path / "pack" / "accounts.html")


# ---------------------------------------------------------------- sending



def test_notify_delivers_each_owner_email(tmp_path, server, capsys):
    """`aftersales notify` delivers the owner emails to their recipients with subject and figures."""
    run = write_run(tmp_path, catch_all="desk@example.com")
    box = Mailbox()
    address = server(box)
    assert main(["notify", str(run), "--smtp", address, "--sender", "alerts@dealer.example"]) == 0
    got = box.by_recipient()
    assert sorted(got) == ["bob@example.com", "desk@example.com", "rita@example.com"]
    assert len(box.messages) == 4, "the catch-all receives the no-owner email and R3's"
    assert {m[0] for m in box.messages} == {"alerts@dealer.example"}
    rita = got["rita@example.com"]
    assert "Rita Rep" in rita["Subject"] and "2 alerts" in rita["Subject"]
    assert "-25.0 %" in rita.get_body(("plain",)).get_content()
    assert "6,123.45" in got["bob@example.com"].get_body(("html",)).get_content()
    assert all("outreach" not in str(m[2]) for m in box.messages)
    assert not any(b"Dear " in m[2] for m in box.messages), "outreach drafts are never sent"
    err = capsys.readouterr().err
    assert "R3.eml" in err and "no email" in err, "a rep without an email is reported"


def test_dry_run_sends_nothing(tmp_path, server, capsys):
    """--dry-run lists what would be sent and delivers nothing."""
    run = write_run(tmp_path)
    box = Mailbox()
    address = server(box)
    assert main(["notify", str(run), "--smtp", address, "--dry-run"]) == 0
    assert box.messages == []
    assert "would send R1.eml to rita@example.com" in capsys.readouterr().err


def test_a_refused_message_leaves_the_others_sent(tmp_path, server, capsys):
    """A message the server refuses is named as failed, the others are delivered, and the exit status is non-zero."""
    run = write_run(tmp_path)
    box = Mailbox(refuse={"bob@example.com"})
    address = server(box)
    assert main(["notify", str(run), "--smtp", address]) == 1
    assert "rita@example.com" in box.by_recipient()
    assert "bob@example.com" not in box.by_recipient()
    assert len(box.messages) == 3
    captured = capsys.readouterr()
    assert "R2.eml not sent" in captured.err and "550" in captured.err
    assert "sent 3 email(s); 1 not sent" in captured.out


def test_no_recipient_at_all_is_reported_not_a_crash(tmp_path, server, capsys):
    """A rep without an email and no catch-all address: that email is reported unsent, the others go out."""
    run = write_run(tmp_path, catch_all="")
    box = Mailbox()
    assert main(["notify", str(run), "--smtp", server(box)]) == 1
    assert sorted(box.by_recipient()) == ["bob@example.com", "rita@example.com"]
    err = capsys.readouterr().err
    assert "R3.eml not sent: no recipient" in err and "_no_owner.eml not sent" in err


def test_unreachable_server_and_missing_run_are_one_clear_error(tmp_path, capsys):
    """A server that does not answer, a bad --smtp or a folder without emails is one message and exit 2."""
    run = write_run(tmp_path / "run")
    assert main(["notify", str(run), "--smtp", f"127.0.0.1:{free_port()}"]) == 2
    assert main(["notify", str(run), "--smtp", "localhost"]) == 2
    assert main(["notify", str(tmp_path / "nothing"), "--smtp", "localhost:25"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the mail server" in err and "HOST:PORT" in err and "no emails folder" in err
    assert "Traceback" not in err


def authenticator(expected: str):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == expected.encode()
        return AuthResult(success=ok, handled=False)

    return check


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_password_comes_from_the_environment(tmp_path, server, monkeypatch, capsys):
    """With login on, the password is read from the environment variable the settings name; none set is an error."""
    run = write_run(tmp_path)
    box = Mailbox()
    address = server(box, authenticator=authenticator("s3cret"), auth_require_tls=False, auth_required=True)
    conf = settings(login=True, username="reports", password_env="TEST_SMTP_PASSWORD",
                    allow_plain_login=True)  # no TLS here: allowed explicitly (issue 23)
    monkeypatch.delenv("TEST_SMTP_PASSWORD", raising=False)
    with pytest.raises(notify.NotifyError, match="TEST_SMTP_PASSWORD"):
        notify.send(run, address, settings=conf)
    assert box.messages == []
    outcome = notify.send(run, address, settings=conf, environ={"TEST_SMTP_PASSWORD": "s3cret"})
    assert sorted(outcome.sent) == ["R1.eml", "R2.eml", "R3.eml", "_no_owner.eml"]
    with pytest.raises(notify.NotifyError, match="refused the login"):
        notify.send(run, address, settings=conf, environ={"TEST_SMTP_PASSWORD": "wrong"})


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a test certificate")
def test_starttls_then_login(tmp_path, server):
    """With STARTTLS on, the connection is encrypted before the login and the messages are delivered."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    box = Mailbox()
    address = server(box, tls_context=server_tls, require_starttls=True, authenticator=authenticator("pw"),
                     auth_required=True)
    run = write_run(tmp_path / "run")
    client_tls = ssl.create_default_context(cafile=str(cert))
    conf = settings(starttls=True, login=True, password_env="PW")
    outcome = notify.send(run, address, settings=conf, environ={"PW": "pw"}, ssl_context=client_tls)
    assert outcome.ok and len(outcome.sent) == 4
    assert len(box.messages) == 4
    with pytest.raises(notify.NotifyError):  # STARTTLS required by the server but switched off
        notify.send(run, address, settings=settings(login=True, password_env="PW"), environ={"PW": "pw"})


def test_send_on_run_only_when_switched_on_with_a_server(tmp_path, server):
    """A run sends its emails itself only when params switch it on and name a server; it says what happened."""
    run = write_run(tmp_path, catch_all="desk@example.com")
    box = Mailbox()
    address = server(box)
    assert "no email was sent" in notify.send_on_run(run, settings(send_on_run=True, smtp=""))
    assert box.messages == []
    text = notify.send_on_run(run, settings(send_on_run=True, smtp=address))
    assert text == f"Alert emails sent through {address}: 4."
    assert len(box.messages) == 4


class Watching(Mailbox):
    """A mailbox that notes, for each message, whether the run's pack was already in place."""

    def __init__(self, pack: Path):
        super().__init__()
        self.pack, self.in_place = pack, []

    async def handle_DATA(self, server, session, envelope):
        self.in_place.append((self.pack / "manifest.json").exists())
        return await super().handle_DATA(server, session, envelope)


def _send_on_run_source(tmp_path: Path, address: str) -> tuple[Path, Path]:
    """A source whose document D1 (Net 200) is a large document of A1 (owner R1) at a limit of 100, and
    settings that send on run through `address`."""
    from factory import make_source

    folder = make_source(tmp_path / "src", parts_lines=[dict(date_edit="2024-03-04", quantity=1, selling_price=200)],
                         labour_lines=[{}], accounts=[dict(email="buyer@a1.example")], clockings=[{}],
                         sales_reps=[dict(email="r1@dealer.example")])
    settings_file = tmp_path / "send.yaml"
    settings_file.write_text(f"alerts:\n  large_document: 100\nnotify:\n  smtp: \"{address}\"\n  send_on_run: true\n",
                             encoding="utf-8")
    return folder, settings_file


def test_a_run_sends_its_owner_emails_once_when_the_pack_is_in_place(tmp_path, server):
    """With `send_on_run`, `aftersales run` sends each owner email once, from the run and only after the
    pack is in place (never from the report's notebook, which a retry would run again)."""
    out = tmp_path / "pack"
    box = Watching(out)
    folder, settings_file = _send_on_run_source(tmp_path, server(box))
    assert main(["run", "--source", str(folder), "--from", "2024-03-01", "--to", "2024-03-15", "--as-of",
                 "2024-03-15", "--reports", "accounts", "--params", str(settings_file), "--out", str(out)]) == 0
    owner_files = sorted((out / "emails").glob("*.eml"))
    assert [p.name for p in owner_files] == ["R1.eml"]
    assert [rcpts for _, rcpts, _ in box.messages] == [["r1@dealer.example"]]
    assert box.in_place == [True]
    page = (out / "accounts.html").read_text(encoding="utf-8")
    assert "Alert emails sent" not in page  # the page is written before anything is sent


def test_a_run_whose_accounts_report_fails_sends_nothing_on_run(tmp_path, server):
    """A later cell of the Accounts notebook fails after the emails are written: the run sends none."""
    import os
    import sys

    from test_reliability import notebooks_with

    box = Mailbox()
    folder, settings_file = _send_on_run_source(tmp_path, server(box))
    notebooks = notebooks_with(tmp_path, "accounts", "raise RuntimeError('a later cell fails')", last=True)
    out = tmp_path / "pack"
    done = subprocess.run([sys.executable, "-m", "aftersales", "run", "--source", str(folder), "--from", "2024-03-01",
                           "--to", "2024-03-15", "--as-of", "2024-03-15", "--reports", "accounts", "--params",
                           str(settings_file), "--out", str(out)], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "AFTERSALES_NOTEBOOKS": str(notebooks)})
    assert done.returncode == 1 and "a later cell fails" in done.stderr
    assert list((out / "emails").glob("*.eml")), "the emails were written before the failing cell"
    assert box.messages == []
