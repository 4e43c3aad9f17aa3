"""The landing page and the manifest, from run folders laid out by hand (no notebooks run)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from aftersales.present import landing as pack
from aftersales.reports.periods import Period
from aftersales.run import finish as run_finish

XSS = '<script>alert("x")</script> & co'
PERIOD = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31), dt.date(2024, 3, 31))
SETTINGS = {"dealer_name": "Demo & Sons <Motors>", "alerts": {"gp_drop": 5, "sales_decline": 20, "large_document": 5000}}


def pack_source(folder: Path) -> Path:
    """A small source for a whole pack: every table, a prior year, an account named like a script,
    a code with leading zeros, and more parts documents than a grid shows on one page."""
    from factory import make_source

    accounts = [
        dict(account="A1", name=XSS, owner="R1"),
        dict(account="A2", name="Beta Motors", owner="R2", territory="South", segment="Retail", channel="Phone"),
        dict(account="00042", name="=1+2 Zero Lead Ltd", owner="R1"),
        dict(account="A4", name="Café Ünal – 東京モーターズ", owner="R2", territory="South"),
    ]
    codes = [a["account"] for a in accounts]
    parts = []
    for i in range(40):
        credit = i % 7 == 3
        parts.append(dict(
            document=f"D{i:03d}", doc_type="credit" if credit else "invoice", date_edit=f"2024-03-{1 + i % 28:02d}",
            account=codes[i % 4], department="P" if i % 3 else "W", sale_type=f"S{i % 3}", operator=f"OP{i % 2}",
            quantity=-1 if credit else 1 + i % 4, retail_price=10 + 7 * i,
            selling_price=6000 if i == 8 else 9 + 7 * i,  # D008: a large invoice of A1, an alert
            discount=-1 if credit else i % 5, cost_price=6 + 3 * i + (40 if i % 11 == 5 else 0),
            first_pick="true" if i % 2 else "false", vor_loss=2 if i % 9 == 0 else ""))
    for i in range(6):  # the prior year
        parts.append(dict(document=f"P{i}", date_edit=f"2023-03-{5 + i:02d}", account=codes[i % 4],
                          quantity=2, retail_price=50, selling_price=50, cost_price=30))
    labour = []
    for i in range(12):
        labour.append(dict(
            wip_no=f"W{i}", line_no=1, document=f"L{i:03d}", date_created="2024-03-01",
            date_edit=f"2024-03-{2 + i:02d}", account=codes[i % 4], technician=f"T{1 + i % 2}",
            allowed_time=1 + i % 3, time_taken=1 + (i % 2), labour_rate=100, contribution=100 * (1 + i % 3)))
    labour.append(dict(wip_no="WP", line_no=1, document="LP", date_created="2023-03-01", date_edit="2023-03-10",
                       account="A2", allowed_time=2, time_taken=2, contribution=150))
    clockings = []
    for day in range(2, 14):
        for tech, name in (("T1", "Tech One"), ("T2", "Tech Two")):
            clockings.append(dict(technician=tech, technician_name=name, clock_in=f"2024-03-{day:02d}T08:00",
                                  clock_out=f"2024-03-{day:02d}T12:00", wip_no=f"W{day - 2}", line_no=1))
    return make_source(
        folder,
        accounts=accounts, parts_lines=parts, labour_lines=labour, clockings=clockings,
        parts_movements=[dict(date="2024-03-04", movement_type="received", value=30),
                         dict(date="2024-03-05", movement_type="invoiced", value=12)],
        purchase_order_lines=[dict(date_created="2024-02-01", outstanding_qty=3)],
        sales_reps=[dict(rep="R1", name="Rita Rep"), dict(rep="R2", name="Rob Rep", territory="South",
                                                          email="rob@example.com")],
        targets=[dict(rep="R1", month="2024-03", sales_target=1000, margin_target=300),
                 dict(rep="R2", month="2024-03", sales_target=800, margin_target=200)],
        leads=[dict(lead_id="LD1", created_date="2024-03-05", rep="R1", account="A1"),
               dict(lead_id="LD2", created_date="2024-03-06", rep="R2", channel="Phone", account="A2")],
        opportunities=[dict(opp_id="O1", account="A1", rep="R1", stage="won", created_date="2024-03-01",
                            closed_date="2024-03-20"),
                       dict(opp_id="O2", account="A2", rep="R2", stage="proposal", created_date="2024-03-02")],
        activities=[dict(activity_id="AC1", date="2024-03-05", rep="R1", account="A1"),
                    dict(activity_id="AC2", date="2024-03-06", rep="R2", account="A2", duration_minutes=45)],
        customer_issues=[dict(issue_id="I1", account="A1", logged_date="2024-03-05")],
    )


def run_folder(tmp_path: Path, summaries: dict[str, dict], statuses: dict[str, dict], pages=(), alerts=None) -> Path:
    """A run folder as the workers leave it: summaries, pages, grid CSVs, alerts."""
    run = tmp_path / "run"
    (run / "summaries").mkdir(parents=True)
    for report, summary in summaries.items():
        (run / "summaries" / f"{report}.json").write_text(json.dumps(summary), encoding="utf-8")
    for report in pages:
        (run / f"{report}.html").write_text("<html>page</html>", encoding="utf-8")
    (run / "tables" / "parts").mkdir(parents=True)
    (run / "tables" / "parts" / "activity.csv").write_text("date,net,gp_pct\n2024-03-01,8.500000,25.000000\n",
                                                           encoding="utf-8")
    if alerts is not None:
        (run / "alerts.csv").write_text(alerts, encoding="utf-8")
    return run


def finish(run: Path, reports, statuses) -> str:
    run_finish.finish(run, run.parent / "out", period=PERIOD, reports=reports, statuses=statuses, settings=SETTINGS,
                parameters={"source": "x"}, source_info={"source": "folder x"}, seconds=1.0)
    return (run / "index.html").read_text(encoding="utf-8")


PARTS = {"tiles": [{"label": "Parts net sales", "value": 1234.5, "kind": "money", "change": 12.5,
                    "change_text": "+137.17 (+12.5 %) vs prior year"}],
         "rows": {"read": 10, "used": 9, "set_aside": 1},
         "quality": [{"check": "lines after as-of", "rows": 1, "treatment": "left out"},
                     {"check": "unknown accounts", "rows": 0, "treatment": "shown as unknown"}]}
OK = {"status": "ok", "error": None, "seconds": 2.5, "html_bytes": 17}


def test_landing_page_shows_dealer_period_tiles_and_links(tmp_path):
    """The landing page names the dealer, the period and as-of, shows each tile with its change and links each report."""
    run = run_folder(tmp_path, {"parts": PARTS}, {}, pages=["parts"])
    index = finish(run, ["parts"], {"parts": OK})
    assert "Demo &amp; Sons &lt;Motors&gt;" in index
    assert "01 Mar 2024 to 31 Mar 2024" in index and "as of 31 Mar 2024" in index
    assert "Parts net sales" in index and "1,234.50" in index and "+137.17 (+12.5 %) vs prior year" in index
    assert 'class="as-change as-up"' in index
    assert 'href="parts.html"' in index
    assert "lines after as-of: 1 rows, left out" in index and "1 other check found nothing" in index


def test_a_failed_report_shows_its_reason_not_a_broken_link(tmp_path):
    """A report that failed is listed with its reason, keeps an empty tile, and no link points to a missing page."""
    run = run_folder(tmp_path, {"parts": PARTS}, {}, pages=["parts"])
    failed = {"status": "failed", "error": "ValueError: labour <exploded> (cell 3)", "seconds": 1.0}
    index = finish(run, ["parts", "labour"], {"parts": OK, "labour": failed})
    assert "ValueError: labour &lt;exploded&gt; (cell 3)" in index
    assert 'href="labour.html"' not in index
    assert "Labour net sales" in index and "report failed" in index
    for href in re.findall(r'href="([^"#]+)"', index):
        assert (run / href).exists(), href


def test_landing_page_shows_alerts_as_text(tmp_path):
    """Alerts are listed with a count per rule, and an account name from the data is shown as text, never markup."""
    alerts = ("rule,account,name,owner,owner_email,value,threshold,message\n"
              f'large_document,A1,"{XSS.replace(chr(34), chr(34) * 2)}",R1,,6000.000000,5000.000000,big\n')
    run = run_folder(tmp_path, {"accounts": {"tiles": []}}, {}, alerts=alerts)
    index = finish(run, ["accounts"], {"accounts": OK})
    assert "&lt;script&gt;alert(" in index and "<script>alert(" not in index
    assert "Large invoice</b> (large_document, threshold 5000): 1" in index and "6,000.00" in index


def test_the_landing_page_lists_at_most_page_rows_alerts_and_says_so(tmp_path, monkeypatch):
    """A month with thousands of alerts keeps the landing page small: `report.page_rows` of them, with a
    note of the full count; alerts.csv keeps them all."""
    from aftersales.present import tables as present

    monkeypatch.setattr(present, "PAGE_ROWS", present.PAGE_ROWS)  # put back after the test
    lines = [f"sales_decline,A{i},Name {i},R1,,-{30 + i}.000000,20.000000,down\n" for i in range(5)]
    run = run_folder(tmp_path, {"accounts": {"tiles": []}}, {},
                     alerts="rule,account,name,owner,owner_email,value,threshold,message\n" + "".join(lines))
    run_finish.finish(run, run.parent / "out", period=PERIOD, reports=["accounts"], statuses={"accounts": OK},
                settings={**SETTINGS, "report": {"page_rows": 3}}, parameters={"source": "x"},
                source_info={"source": "folder x"}, seconds=1.0)
    index = (run / "index.html").read_text(encoding="utf-8")
    assert "The first 3 of 5 rows are shown here" in index
    assert "Name 2" in index and "Name 3" not in index and "Name 4" not in index
    assert (run / "alerts.csv").read_text(encoding="utf-8").count("sales_decline") == 5


def test_manifest_records_page_sizes_and_the_spreadsheet(tmp_path):
    """The manifest records each page's size, the landing page's, and the spreadsheet's name, size and sheets."""
    run = run_folder(tmp_path, {"parts": PARTS}, {}, pages=["parts"])
    finish(run, ["parts"], {"parts": OK})
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["reports"]["parts"]["html_bytes"] == 17
    assert manifest["index_bytes"] == (run / "index.html").stat().st_size
    book = manifest["workbook"]
    assert book["file"] == "aftersales_2024-03-01_2024-03-31.xlsx" and (run / book["file"]).stat().st_size == book["bytes"]
    assert book["sheets"] == {"parts_activity": 1, "alerts": 0}
    assert not (run / "summaries").exists()


def test_size_text():
    """Page sizes read as kB or MB."""
    assert pack.size_text(1_500) == "2 kB" and pack.size_text(2_345_678) == "2.3 MB" and pack.size_text(None) == ""


def test_the_same_run_gives_the_same_landing_page(tmp_path):
    """The landing page holds no clock time or duration, so the same inputs give the same file."""
    pages = []
    for n in (1, 2):
        run = run_folder(tmp_path / str(n), {"parts": PARTS}, {}, pages=["parts"])
        pages.append(finish(run, ["parts"], {"parts": {**OK, "seconds": float(n)}}))
    assert pages[0] == pages[1]


def test_alert_owners_show_with_their_names_on_the_landing_page(tmp_path):
    """An alert's owner reads "code · name" on the landing page (the rep's name from the accounts owners
    table), while alerts.csv keeps the code; an owner the table does not name stays a code, and a name
    with markup is shown as text."""
    alerts = ("rule,account,name,owner,owner_email,value,threshold,message\n"
              "sales_decline,A1,Alpha,R1,r1@x.example,-30,20,fell\n"
              "sales_decline,A2,Beta,R9,,-25,20,fell\n")
    run = run_folder(tmp_path, {"parts": PARTS}, {}, pages=["parts"], alerts=alerts)
    (run / "tables" / "accounts").mkdir(parents=True)
    (run / "tables" / "accounts" / "owners.csv").write_text(
        'owner,name,accounts\nR1,"Rita <b>Rep</b>",1\n', encoding="utf-8")
    page = finish(run, ["parts"], {"parts": OK})
    table = page[page.index('id="grid-alerts"'):]
    assert "R1 · Rita &lt;b&gt;Rep&lt;/b&gt;" in table and "<b>Rep</b>" not in table
    assert "<td>R9</td>" in table
    assert ",Alpha,R1,r1@x.example," in (run / "alerts.csv").read_text(encoding="utf-8")  # the CSV keeps the code
