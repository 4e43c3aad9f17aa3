"""Pacing in a run (SPEC §6.4): tables/pacing/pacing.csv, the landing page, the spreadsheet and the emails.

The source is March 2024, run with as-of Saturday 16 March on a dealer open Monday to Saturday and
closed on Friday 15 March (no public holidays):
- Total = 31 days − 5 Sundays (3, 10, 17, 24, 31) − 1 closed day = 25 working days;
- Elapsed = 1 .. 16 March: 16 days − 2 Sundays (3, 10) − the closed 15th = 13 working days.
"""

from __future__ import annotations

import csv
import datetime as dt
import email
import json
import math
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from aftersales.cli import main
from aftersales.reports.pacing import MEASURES, PACING_COLUMNS
from aftersales.reports.periods import Period
from aftersales.run.pacing_step import pacing_grid, pacing_grids
from aftersales.run.scope import Scope
from factory import make_source

RUN = ["--from", "2024-03-01", "--to", "2024-03-31", "--as-of", "2024-03-16"]
CALENDAR = "calendar:\n  working_days: [mon, tue, wed, thu, fri, sat]\n  closed: [2024-03-15]\n"
ELAPSED, TOTAL = 13, 25

PARTS = [
    # Sat 2 March: Net 2 × 100 − 20 = 180, Cost 2 × 50 = 100, Profit 80
    {"document": "D1", "date_edit": "2024-03-02", "quantity": 2, "selling_price": 100, "retail_price": 100,
     "discount": 20, "cost_price": 50},
    # a credit on the 14th: Net −1 × 100 − (−10) = −90, Cost −50, Profit −40
    {"document": "C1", "doc_type": "credit", "date_edit": "2024-03-14", "quantity": -1, "selling_price": 100,
     "retail_price": 100, "discount": -10, "cost_price": 50},
    # sold on the closed day: the day is no working day, but its sales count: Net 40, Profit 30
    {"document": "D2", "date_edit": "2024-03-15", "quantity": 1, "selling_price": 40, "retail_price": 40,
     "cost_price": 10},
    # after as-of, and before the month: never counted
    {"document": "D3", "date_edit": "2024-03-18", "quantity": 1, "selling_price": 1000, "retail_price": 1000},
    {"document": "D4", "date_edit": "2024-02-29", "quantity": 1, "selling_price": 1000, "retail_price": 1000},
    # last year's March: Net 300 + 60 = 360, Profit 200 + 0 = 200; 1 April 2023 is outside it
    {"document": "Y1", "date_edit": "2023-03-10", "quantity": 1, "selling_price": 300, "retail_price": 300,
     "cost_price": 100},
    {"document": "Y2", "date_edit": "2023-03-31", "quantity": 1, "selling_price": 60, "retail_price": 60,
     "cost_price": 60},
    {"document": "Y3", "date_edit": "2023-04-01", "quantity": 1, "selling_price": 5000, "retail_price": 5000},
]
# MTD parts: Net 180 − 90 + 40 = 130; Profit 80 − 40 + 30 = 70.

LABOUR = [
    # Mon 4th: Gross 3 × 100 = 300, Net 270, Cost 2 taken × 40 = 80, Profit 190, hours 3
    {"wip_no": "W1", "document": "L1", "date_edit": "2024-03-04", "allowed_time": 3, "time_taken": 2,
     "discount": 30},
    # Sat 9th, no technician, tenths: Gross 10 × 10 = 100, Cost 10 × 30 × 6/60 = 30, Profit 70, hours 10 × 6/60 = 1
    {"wip_no": "W2", "document": "L2", "date_edit": "2024-03-09", "technician": "", "allowed_time": 10,
     "time_taken": 10, "minutes_per_unit": 6, "labour_rate": 10, "cost_per_hour": 30},
    # not invoiced (no document): not counted
    {"wip_no": "W3", "document": "", "doc_type": "", "date_edit": "", "allowed_time": 5, "time_taken": 5},
    # a credit on the 12th: Gross −100, Cost −40, Profit −60, hours −1
    {"wip_no": "W4", "document": "LC", "doc_type": "credit", "date_edit": "2024-03-12", "allowed_time": -1,
     "time_taken": -1},
    # after as-of: not counted
    {"wip_no": "W5", "document": "L5", "date_edit": "2024-03-20", "allowed_time": 50, "time_taken": 50},
    # last year: Gross 400, Cost 160, Profit 240, hours 4
    {"wip_no": "W6", "document": "L6", "date_created": "2023-03-01", "date_edit": "2023-03-15",
     "allowed_time": 4, "time_taken": 4},
]
# MTD labour: Net 270 + 100 − 100 = 270; Profit 190 + 70 − 60 = 200; hours 3 + 1 − 1 = 3.

BUDGETS = [
    {"branch": "B1", "month": "2024-03", "measure": "parts_net", "value": 500},
    {"branch": "", "month": "2024-03", "measure": "parts_net", "value": 150},  # the group counts it: Σ 650
    {"branch": "B1", "month": "2024-03", "measure": "parts_profit", "value": 100},
    {"branch": "", "month": "2024-03", "measure": "labour_net", "value": 500},
    {"branch": "B1", "month": "2024-02", "measure": "labour_profit", "value": 999},  # not March: no budget
    {"branch": "B2", "month": "2024-03", "measure": "hours_sold", "value": 0},  # a budget of 0
]

# Hand-worked from §6.4 (Projected = MTD / 13 × 25, Target = Budget × 13 / 25):
EXPECTED = {
    "parts_net": dict(mtd=130, projected=250, budget=650, target_to_date=338,
                      pace_pct=130 / 338 * 100,                      # 38.4615…
                      projected_vs_budget_pct=250 / 650 * 100,       # 38.4615…
                      last_year=360, projected_vs_last_year_pct=(250 - 360) / 360 * 100),  # −30.5556
    "parts_profit": dict(mtd=70, projected=70 / 13 * 25, budget=100, target_to_date=52,
                         pace_pct=70 / 52 * 100,                     # 134.6154
                         projected_vs_budget_pct=70 / 13 * 25,       # 134.6154 / 100 × 100
                         last_year=200, projected_vs_last_year_pct=(70 / 13 * 25 - 200) / 200 * 100),  # −32.69
    "labour_net": dict(mtd=270, projected=270 / 13 * 25, budget=500, target_to_date=260,
                       pace_pct=270 / 260 * 100,                     # 103.8462
                       projected_vs_budget_pct=270 / 13 * 25 / 500 * 100,
                       last_year=400, projected_vs_last_year_pct=(270 / 13 * 25 - 400) / 400 * 100),  # 29.81
    "labour_profit": dict(mtd=200, projected=200 / 13 * 25, budget=None, target_to_date=None, pace_pct=None,
                          projected_vs_budget_pct=None,
                          last_year=240, projected_vs_last_year_pct=(200 / 13 * 25 - 240) / 240 * 100),  # 60.26
    "hours_sold": dict(mtd=3, projected=3 / 13 * 25, budget=0, target_to_date=0, pace_pct=None,
                       projected_vs_budget_pct=None,
                       last_year=4, projected_vs_last_year_pct=(3 / 13 * 25 - 4) / 4 * 100),  # 44.23
}


def source(folder: Path, budgets: list[dict] | None = BUDGETS) -> Path:
    tables = {"parts_lines": PARTS, "labour_lines": LABOUR,
              "accounts": [{"account": "A1", "name": "Alpha Garage", "owner": "R1"}],
              "sales_reps": [{"rep": "R1", "name": "Rita Rep", "email": "rita@example.com"}]}
    if budgets is not None:
        tables["budgets"] = budgets
    return make_source(folder, **tables)


def settings_file(folder: Path, calendar: str = CALENDAR, extra: str = "") -> Path:
    path = folder / "settings.yaml"
    path.write_text(calendar + extra, encoding="utf-8")
    return path


def read_pacing(out: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
    with open(out / "tables" / "pacing" / "pacing.csv", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [dict(zip(header, r)) for r in reader]
    return header, {r["measure"]: r for r in rows}


def check_figures(rows: dict[str, dict[str, str]], expected: dict[str, dict]) -> None:
    """Each CSV cell is the hand-worked figure to the CSV's six decimals; None: the cell is empty."""
    for measure, figures in expected.items():
        for column, value in figures.items():
            cell = rows[measure][column]
            if value is None:
                assert cell == "", f"{measure}.{column} should be empty, is {cell!r}"
            else:
                assert float(cell) == pytest.approx(value, abs=1e-6), f"{measure}.{column}: {cell} != {value}"


@pytest.fixture(scope="module")
def budget_run(tmp_path_factory):
    """One run of Parts and Accounts over the source with budgets; an invoice of 150 or more raises an alert,
    so that Rita's owner email is written."""
    base = tmp_path_factory.mktemp("pacing")
    folder = source(base / "src")
    params = settings_file(base, extra="alerts:\n  large_document: 150\n  min_sales: 0\n  min_prior_sales: 0\n"
                                         "  exclude_accounts: []\n")
    out = base / "out"
    status = main(["run", "--source", str(folder), *RUN, "--reports", "parts,accounts", "--params", str(params),
                   "--out", str(out), "--jobs", "2"])
    assert status == 0
    return out


def test_pacing_csv_is_exactly_the_spec_grid(budget_run):
    """pacing.csv has the §6.4 columns in order and five rows, one per measure in the list's order."""
    header, rows = read_pacing(budget_run)
    assert header == list(PACING_COLUMNS)
    assert list(rows) == list(MEASURES)
    assert {r["elapsed_days"] for r in rows.values()} == {str(ELAPSED)}
    assert {r["total_days"] for r in rows.values()} == {str(TOTAL)}


def test_pacing_figures_mid_month_with_a_closed_day_and_saturdays(budget_run):
    """Every figure of the group's pacing is the §6.4 formula worked by hand, empty where a budget is missing or 0."""
    _, rows = read_pacing(budget_run)
    check_figures(rows, EXPECTED)
    assert rows["parts_net"]["mtd"] == "130.000000"  # money as plain decimals, no separators


def test_landing_page_opens_with_pacing(budget_run):
    """The landing page's first section is pacing: the month, 13 of 25 working days, a row per measure with its mark."""
    page = (budget_run / "index.html").read_text(encoding="utf-8")
    body = page[page.index("<body"):]
    assert body.index('id="pacing"') < body.index('class="as-tiles"') < body.index('id="reports"')
    section = body[body.index('id="pacing"'):body.index("</section>")]
    assert "March 2024" in section and "Working days: <b>13</b> of <b>25</b> elapsed" in section
    rows = re.findall(r'<div class="as-pace-row as-pace-(\w[\w-]*)" data-measure="(\w+)">', section)
    # pace: parts net 38.5 % behind, parts profit 134.6 % ahead, labour net 103.8 % ahead, no budget, budget 0
    assert rows == [("behind", "parts_net"), ("ahead", "parts_profit"), ("ahead", "labour_net"),
                    ("none", "labour_profit"), ("none", "hours_sold")]
    assert "▼ behind" in section and "▲ ahead" in section and "no budget" in section
    assert "38.5%" in section and "134.6%" in section


def test_spreadsheet_has_a_pacing_sheet_first(budget_run):
    """The spreadsheet's first sheet after "about" is "Pacing", made from pacing.csv."""
    manifest = json.loads((budget_run / "manifest.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(budget_run / manifest["workbook"]["file"]) as book:
        names = re.findall(r'<sheet name="([^"]+)"', book.read("xl/workbook.xml").decode("utf-8"))
    assert names[:2] == ["about", "Pacing"]
    assert manifest["workbook"]["sheets"]["Pacing"] == 5


def test_owner_email_opens_with_pacing(budget_run):
    """Rita's alert email starts with the month's pacing lines, in its text and HTML parts, before the alerts."""
    message = email.message_from_bytes((budget_run / "emails" / "R1.eml").read_bytes())
    parts = {p.get_content_type(): p.get_payload(decode=True).decode("utf-8") for p in message.walk()
             if not p.is_multipart()}
    text = parts["text/plain"]
    assert "On track this month? March 2024 — 13 of 25 working days elapsed" in text
    assert text.index("On track this month?") < text.index("Alerts on the accounts you own")
    assert ("- Parts net sales: MTD 130 · target to date 338 · pace 38.5% ▼ behind · month-end 250 = 38.5% of "
            "budget 650 · ▼ -30.6% vs last year (360)") in text
    assert "- Labour gross profit: MTD 200 · target to date – · no budget · month-end 385" in text
    assert "- Hours sold: MTD 3.0 h" in text
    html = parts["text/html"]
    assert html.index("On track this month?") < html.index("Alerts on the accounts you own")
    assert html.count('<tr><th style="padding:2px 8px;text-align:left">') == 5  # one row per measure
    assert "- Hours sold: MTD 3.0 h · target to date 0.0 h · budget 0 · month-end 5.8 h" in text


def test_run_without_budgets(tmp_path):
    """Without a budgets table the run still writes five rows with MTD, projected and last year, and says so."""
    folder = source(tmp_path / "src", budgets=None)
    out = tmp_path / "out"
    status = main(["run", "--source", str(folder), *RUN, "--reports", "parts", "--params",
                   str(settings_file(tmp_path)), "--out", str(out), "--jobs", "1"])
    assert status == 0
    header, rows = read_pacing(out)
    assert header == list(PACING_COLUMNS) and list(rows) == list(MEASURES)
    no_budget = {m: {**f, "budget": None, "target_to_date": None, "pace_pct": None, "projected_vs_budget_pct": None}
                 for m, f in EXPECTED.items()}
    check_figures(rows, no_budget)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Budgets are missing for March 2024" in page
    assert page.count('class="as-pace-row as-pace-none"') == 5


@pytest.mark.parametrize("calendar, named", [
    ("calendar:\n  country: \"XX\"\n", "calendar.country"),
    ("calendar:\n  working_days: [mon, funday]\n", "calendar.working_days"),
    ("calendar:\n  closed: [\"2024-13-01\"]\n", "calendar.closed"),
])
def test_bad_calendar_setting_exits_2(tmp_path, capsys, calendar, named):
    """A calendar setting that cannot be used stops the run with exit status 2 and a message naming the key."""
    folder = source(tmp_path / "src")
    out = tmp_path / "out"
    status = main(["run", "--source", str(folder), *RUN, "--reports", "parts", "--params",
                   str(settings_file(tmp_path, calendar)), "--out", str(out)])
    assert status == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err
    assert not out.exists()


def test_a_branch_paces_against_its_own_rows(tmp_path, open_source):
    """A branch's pacing reads its own lines and budget rows; the group reads every row, empty branch included."""
    folder = make_source(
        tmp_path / "src",
        parts_lines=[{**PARTS[0], "branch": "B1"}, {**PARTS[2], "branch": "B2"}],  # B1 Net 180, B2 Net 40
        budgets=BUDGETS,
    )
    src = open_source(folder)
    period = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31), dt.date(2024, 3, 16))
    settings = {"calendar": {"working_days": ["mon", "tue", "wed", "thu", "fri", "sat"], "closed": ["2024-03-15"]}}
    b1 = {r["measure"]: r for r in pacing_grid(src, period, settings, Scope("B1")).rows.to_dict("records")}
    group = {r["measure"]: r for r in pacing_grid(src, period, settings, Scope()).rows.to_dict("records")}
    assert b1["parts_net"]["mtd"] == pytest.approx(180)
    assert b1["parts_net"]["budget"] == pytest.approx(500)              # B1's row only
    assert b1["parts_net"]["pace_pct"] == pytest.approx(180 / (500 * 13 / 25) * 100)  # 180 / 260 × 100 = 69.23
    assert math.isnan(b1["labour_net"]["budget"])                       # the empty-branch row is not B1's
    assert group["parts_net"]["mtd"] == pytest.approx(220)              # 180 + 40
    assert group["parts_net"]["budget"] == pytest.approx(650)           # 500 + 150 (empty branch)
    assert group["labour_net"]["budget"] == pytest.approx(500)


def test_budgets_without_a_branch_column_are_the_groups(tmp_path, open_source):
    """When lines carry branches but budgets do not, the budgets are the group's: a branch has none of them."""
    folder = make_source(tmp_path / "src", parts_lines=[{**PARTS[0], "branch": "B1"}],
                         budgets=[{"month": "2024-03", "measure": "parts_net", "value": 650}])
    src = open_source(folder)
    period = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31), dt.date(2024, 3, 16))
    settings = {"calendar": {"working_days": ["mon", "tue", "wed", "thu", "fri", "sat"], "closed": ["2024-03-15"]}}
    b1 = pacing_grid(src, period, settings, Scope("B1")).rows.set_index("measure")
    group = pacing_grid(src, period, settings, Scope()).rows.set_index("measure")
    assert b1.loc["parts_net", "mtd"] == pytest.approx(180) and b1["budget"].isna().all()
    assert group.loc["parts_net", "budget"] == pytest.approx(650)
    assert group.loc["parts_net", "pace_pct"] == pytest.approx(180 / 338 * 100)  # 180 / (650 × 13 / 25) × 100


def test_every_branch_at_once_gives_each_branch_alone(tmp_path, open_source):
    """A run with many branches paces them all from one grouped pass (`pacing_grids`): every branch's grid
    and notes are those it has alone, with codes that look like numbers kept apart ('01' is not '1') and a
    branch without a line at 0 (its budget still its own)."""
    folder = make_source(
        tmp_path / "src",
        parts_lines=[{**PARTS[0], "branch": "B1"}, {**PARTS[1], "branch": "01"}, {**PARTS[2], "branch": "1"},
                     {**PARTS[5], "branch": "01"}, {**PARTS[3], "branch": "B1"}],
        labour_lines=[{**LABOUR[0], "branch": "B1"}, {**LABOUR[1], "branch": "01"}, {**LABOUR[2], "branch": "1"},
                      {**LABOUR[3], "branch": "1"}, {**LABOUR[5], "branch": "B1"}],
        budgets=[*BUDGETS, {"branch": "01", "month": "2024-03", "measure": "hours_sold", "value": 10},
                 {"branch": "B9", "month": "2024-03", "measure": "parts_net", "value": 75}],
    )
    src = open_source(folder)
    period = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31), dt.date(2024, 3, 16))
    settings = {"calendar": {"working_days": ["mon", "tue", "wed", "thu", "fri", "sat"], "closed": ["2024-03-15"]}}
    scopes = [Scope(), Scope("01"), Scope("1"), Scope("B1"), Scope("B9")]
    together = pacing_grids(src, period, settings, scopes)
    assert list(together) == scopes
    for scope in scopes:
        alone = pacing_grid(src, period, settings, scope)
        pd.testing.assert_frame_equal(together[scope].rows, alone.rows)
        assert together[scope].notes == alone.notes
    rows = {scope.branch: together[scope].rows.set_index("measure") for scope in scopes}
    assert rows["01"].loc["parts_net", "mtd"] == pytest.approx(-90)        # the credit C1
    assert rows["01"].loc["parts_net", "last_year"] == pytest.approx(300)  # Y1
    assert rows["1"].loc["parts_net", "mtd"] == pytest.approx(40)          # D2 alone
    assert rows["01"].loc["hours_sold", "mtd"] == pytest.approx(1)         # L2 in tenths: 10 × 6 / 60
    assert rows["01"].loc["hours_sold", "budget"] == pytest.approx(10)
    assert rows["1"].loc["hours_sold", "mtd"] == pytest.approx(-1)         # the credit LC; W3 is not invoiced
    assert rows["B1"].loc["labour_net", "last_year"] == pytest.approx(400)
    assert rows["B1"].loc["parts_net", "budget"] == pytest.approx(500)
    assert rows["B9"]["mtd"].eq(0).all() and rows["B9"].loc["parts_net", "budget"] == pytest.approx(75)
    assert math.isnan(rows["1"].loc["parts_net", "budget"])
    assert rows[""].loc["parts_net", "budget"] == pytest.approx(725)       # 500 + 150 (empty branch) + 75


def test_budgets_without_a_branch_column_give_no_branch_a_budget_at_once(tmp_path, open_source):
    """The grouped pass keeps the rule: budgets without a `branch` column are the group's alone."""
    folder = make_source(tmp_path / "src", parts_lines=[{**PARTS[0], "branch": "B1"}, {**PARTS[2], "branch": "B2"}],
                         budgets=[{"month": "2024-03", "measure": "parts_net", "value": 650}])
    src = open_source(folder)
    period = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31), dt.date(2024, 3, 16))
    grids = pacing_grids(src, period, {}, [Scope(), Scope("B1"), Scope("B2")])
    assert grids[Scope()].rows.set_index("measure").loc["parts_net", "budget"] == pytest.approx(650)
    for branch, net in (("B1", 180), ("B2", 40)):
        rows = grids[Scope(branch)].rows.set_index("measure")
        assert rows.loc["parts_net", "mtd"] == pytest.approx(net) and rows["budget"].isna().all()
