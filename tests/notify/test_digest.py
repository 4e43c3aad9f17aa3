"""The digest of a finished run (`aftersales notify RUN_DIR --digest`): one email per owner, branch manager
and the principal, each with only their own figures, readable on a phone and as plain text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mailserver import Mailbox, bodies, free_port, parse

from aftersales import notify, params
from aftersales.cli import main
from aftersales.params import ParamsError
from browser import ARGS, CHROMIUM

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

LONG_NAME = "NorthwesternRegionalCommercialVehicleMaintenancePartnershipFleetServicesLimited"  # no break in it

PACING_HEAD = ("measure,mtd,elapsed_days,total_days,projected,budget,target_to_date,pace_pct,"
               "projected_vs_budget_pct,last_year,projected_vs_last_year_pct\n")
ALERTS_HEAD = "rule,account,name,owner,owner_email,value,threshold,message\n"
# Rita (R1): A1 fell from 1000 to 400 (a sales_decline: at stake 400 - 1000 = -600.00), A2 rose 1000 → 1500
# (+500.00, +50.0%). Bob (R2): B1 fell 1250 → 250 (sales_decline -80%: at stake -1,000.00) and its margin
# 400 → 50 (gp_drop: at stake 50 - 400 = -350.00): one entry at -1,000.00, the larger; B2 rose 2000 → 2300
# (+300.00, +15.0%). Carl (R3) owns C1, up 500 → 700 (+200.00), and has no alert (and no email in the run).
ACCOUNTS = """account,name,owner,territory,segment,sales,sales_prior,growth_pct,margin,margin_prior,gross,gp_pct,gp_pct_prior,gp_change_pts
A1,Alpha Garage,R1,N,F,400,1000,-60,100,250,400,25,25,0
A2,{long},R1,N,F,1500,1000,50,300,200,1500,20,20,0
B1,Bravo Motors,R2,S,F,250,1250,-80,50,400,250,20,32,-12
B2,Bolt Taxis,R2,S,F,2300,2000,15,460,400,2300,20,20,0
C1,Charlie Cabs,R3,S,F,700,500,40,70,50,700,10,10,0
""".format(long=LONG_NAME)
OWNERS = "owner,name\nR1,Rita Rep\nR2,Bob Rep\nR3,Carl NoMail\n"
ALERTS = ALERTS_HEAD + """sales_decline,A1,Alpha Garage,R1,rita@example.com,-60,20,Sales fell 60.0%
gp_drop,B1,Bravo Motors,R2,bob@example.com,-12,5,GP% fell 12.0 points
sales_decline,B1,Bravo Motors,R2,bob@example.com,-80,20,Sales fell 80.0%
"""
# League: South first (sales 22,222.22), North second (11,111.11); only North's pack has an alert.
LEAGUE = """branch,name,region,sales,sales_prior,growth_pct,rank
N1,North,R,11111.11,10000,11.11111,2
N2,South,R,22222.22,20000,11.11111,1
"""


def pacing(mtd: float) -> str:
    """One measure: MTD `mtd`, half the month gone, projected twice it."""
    return PACING_HEAD + f"parts_net,{mtd},10,20,{2 * mtd},{2 * mtd},{mtd},100,100,{mtd},100\n"


def make_run(folder: Path, **notify_values) -> Path:
    """A finished group run with two branch packs, as the runner leaves it."""
    for path, text in {
        "alerts.csv": ALERTS, "tables/accounts/accounts.csv": ACCOUNTS, "tables/accounts/owners.csv": OWNERS,
        "tables/group/branches.csv": LEAGUE, "tables/pacing/pacing.csv": pacing(13086),
        "branches/N1/tables/pacing/pacing.csv": pacing(4321), "branches/N1/alerts.csv": ALERTS.splitlines()[0]
        + "\n" + ALERTS.splitlines()[1] + "\n",
        "branches/N2/tables/pacing/pacing.csv": pacing(8765), "branches/N2/alerts.csv": ALERTS_HEAD,
    }.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    notify_conf = {"catch_all": "desk@example.com", "principal": "boss@example.com",
                   "branch_managers": {"N1": "north@example.com", "N2": "south@example.com"}, **notify_values}
    manifest = {"period": {"from": "2024-03-01", "to": "2024-03-31"}, "as_of": "2024-03-31",
                "scope": {"scope": "group", "branch": ""}, "reports": {"accounts": {"status": "ok"}},
                "branches": {"packs": [{"branch": "N1", "folder": "branches/N1"},
                                       {"branch": "N2", "folder": "branches/N2"}]},
                "settings": {"notify": notify_conf}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def settings_of(run: Path) -> dict:
    return notify.run_settings(run)


@pytest.fixture
def smtp():
    """A real SMTP server on loopback; yields (mailbox, 'host:port')."""
    box, port = Mailbox(), free_port()
    ctl = aiosmtpd_controller.Controller(box, hostname="127.0.0.1", port=port)
    ctl.start()
    yield box, f"127.0.0.1:{port}"
    ctl.stop()


def test_each_recipient_gets_one_email_with_only_their_own_figures(tmp_path, smtp, capsys):
    """Every owner, branch manager and the principal get one digest with their own accounts and branch, none of another's."""
    run = make_run(tmp_path / "run", digest_when="always")
    box, address = smtp
    assert main(["notify", str(run), "--smtp", address, "--digest"]) == 0
    got = box.all_by_recipient()
    assert sorted(got) == ["bob@example.com", "boss@example.com", "desk@example.com", "north@example.com",
                           "rita@example.com", "south@example.com"]
    assert all(len(mails) == 1 for mails in got.values()), "one email each"
    text = {who: "\n".join(bodies(mails[0])) for who, mails in got.items()}

    rita, bob = text["rita@example.com"], text["bob@example.com"]
    assert "Alpha Garage" in rita and "-600.00" in rita and "+500.00" in rita and "+50.0%" in rita
    for other in ("Bravo", "Bolt", "Charlie", "-1,000.00", "-350.00", "+300.00", "+200.00"):
        assert other not in rita, other
    assert "Bravo Motors" in bob and "-1,000.00" in bob and "+300.00" in bob and "+15.0%" in bob
    for other in ("Alpha", "Northwestern", "Charlie", "-600.00", "+500.00", "+200.00"):
        assert other not in bob, other
    bob_plain = bodies(got["bob@example.com"][0])[0]
    # B1's two alerts are one entry at the larger stake, -1,000.00, not -350.00
    assert bob_plain.count("Bravo Motors (B1): GP% drop, Sales decline, at stake -1,000.00") == 1
    assert "Charlie Cabs" in text["desk@example.com"] and "+200.00" in text["desk@example.com"]
    assert "Alpha" not in text["desk@example.com"] and "Bravo" not in text["desk@example.com"]

    north, south = text["north@example.com"], text["south@example.com"]
    assert "4,321" in north and "Position 2 of 2" in north and "11,111.11" in north
    for other in ("South", "8,765", "17,530", "22,222.22", "13,086"):
        assert other not in north, other
    assert "8,765" in south and "Position 1 of 2" in south and "22,222.22" in south
    for other in ("North", "4,321", "8,642", "11,111.11", "13,086"):
        assert other not in south, other

    boss = bodies(got["boss@example.com"][0])[0]
    assert "13,086" in boss and boss.index("1. South (N2)") < boss.index("2. North (N1)")
    assert "Alpha" not in boss and "Bravo" not in boss


def test_no_file_link_and_a_plain_text_part_that_reads_alone(tmp_path):
    """Without a link base no email carries a file:// link but says where the pack is; each has a plain-text part."""
    run = make_run(tmp_path / "run", digest_when="always")
    messages = notify.digests(run, settings_of(run))
    assert len(messages) == 6
    for name, data in messages.items():
        msg = parse(data)
        assert msg.get_content_type() == "multipart/alternative"
        plain, page = bodies(msg)
        assert "file:" not in plain and "file:" not in page and b"file:" not in data, name
        assert f"is in {run}" in plain and "not published" in plain, name
        assert "<td" not in plain and "<p>" not in plain and "Pacing of" in plain, name
    rita = bodies(parse(messages["owner-R1.eml"]))[0]
    assert "Alpha Garage (A1): Sales decline, at stake -600.00. Sales fell 60.0%" in rita
    assert f"{LONG_NAME} (A2): +500.00 (+50.0%), sales 1,500.00" in rita


def test_a_link_base_links_the_published_pack(tmp_path):
    """With notify.report_link_base the digests link the published pack (each branch manager their branch's pack)."""
    run = make_run(tmp_path / "run", report_link_base="https://reports.example/pack/")
    messages = notify.digests(run, settings_of(run))
    assert "https://reports.example/pack/accounts.html" in bodies(parse(messages["owner-R1.eml"]))[1]
    assert "https://reports.example/pack/branches/N1/index.html" in bodies(parse(messages["branch-N1.eml"]))[0]
    assert "https://reports.example/pack/index.html" in bodies(parse(messages["principal.eml"]))[0]


def test_digest_when_alerts_sends_only_to_whom_has_alerts(tmp_path, smtp):
    """Under digest_when: alerts (the default) an owner or branch without alerts gets nothing."""
    run = make_run(tmp_path / "run")
    assert params.load()["notify"]["digest_when"] == "alerts"
    box, address = smtp
    outcome = notify.send_digests(run, address)
    assert sorted(outcome.sent) == ["branch-N1.eml", "owner-R1.eml", "owner-R2.eml", "principal.eml"]
    assert sorted(box.all_by_recipient()) == ["bob@example.com", "boss@example.com", "north@example.com",
                                          "rita@example.com"], "Carl (no alert) and South (no alert) get nothing"


def test_digest_on_run_reports_what_it_sent(tmp_path, smtp):
    """A run with notify.digest_on_run sends the digests through notify.smtp and says how many it sent."""
    run = make_run(tmp_path / "run")
    box, address = smtp
    settings = settings_of(run)
    assert "no digest was sent" in notify.digest_on_run(run, {**settings, "notify": {**settings["notify"], "smtp": ""}})
    text = notify.digest_on_run(run, {**settings, "notify": {**settings["notify"], "smtp": address}})
    assert text == f"Digests sent through {address}: 4." and len(box.messages) == 4


def test_branch_managers_setting_is_a_mapping_of_codes_to_addresses(tmp_path):
    """notify.branch_managers takes branch codes to addresses and refuses anything else."""
    good = tmp_path / "good.yaml"
    good.write_text('notify:\n  branch_managers: {"01": "a@example.com", 2: "b@example.com"}\n', encoding="utf-8")
    assert params.load(good)["notify"]["branch_managers"] == {"01": "a@example.com", "2": "b@example.com"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("notify:\n  branch_managers: {\"01\": [a]}\n", encoding="utf-8")
    with pytest.raises(ParamsError, match="branch_managers"):
        params.load(bad)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_every_digest_fits_a_390px_phone_screen(tmp_path):
    """Opened in Chromium at 390 px wide, no digest has anything wider than the screen (one column, no fixed width)."""
    from playwright.sync_api import sync_playwright

    run = make_run(tmp_path / "run", digest_when="always")
    messages = notify.digests(run, settings_of(run))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 800})
            for name, data in messages.items():
                page.set_content(bodies(parse(data))[1])
                widest = page.evaluate("Math.max(document.documentElement.scrollWidth, ...Array.from("
                                       "document.querySelectorAll('*'), e => e.getBoundingClientRect().right))")
                assert widest <= 390, f"{name}: {widest}px wide in a 390px screen"
                assert "style=" in page.content() and "<style" not in page.content(), "CSS inlined"
        finally:
            browser.close()
