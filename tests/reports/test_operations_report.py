"""The Fixed operations report end to end (SPEC §6.5): `build` on a source made here, for the group and
for one branch, its four CSVs against hand-worked figures; a run of `--reports operations` with and without
the optional tables; the bad input of the new tables refused by `aftersales validate`."""

from __future__ import annotations

import csv
import json
import math
import re
import zipfile
from pathlib import Path

import pytest

from aftersales.cli import main
from aftersales.config import REPORTS
from aftersales.present import landing
from aftersales.reports import operations as op
from aftersales.reports import operations_report as report_module
from aftersales.run import context as report
from aftersales.source.reader import Source
from aftersales.source.validate import validate
from factory import make_source

MARCH = {"date_from": "2024-03-01", "date_to": "2024-03-31", "as_of": "2024-03-31"}
RUN = ["--from", "2024-03-01", "--to", "2024-03-31", "--as-of", "2024-03-31"]
HEADERS = {
    "summary": "ros,hours_sold,hours_per_ro,labour_net,labour_per_ro,workshop_parts_net,parts_per_ro,parts_to_labour,"
               "elr,gross_profit,overheads,absorption_pct,stock_value,cost_of_sales_12m,turns,days_supply,"
               "obsolescence_pct",
    "pay_types": "pay_type,ros,hours_sold,labour_net,labour_profit,labour_gp_pct,elr,hours_mix_pct,parts_net,"
                 "parts_profit",
    "wip": "bucket,jobs,hours,value",
    "stock_ageing": "bucket,parts,value,value_pct",
}

# Labour lines (defaults: 1 hour at 100, cost 40 an hour, time taken 1, invoice L1 of 2024-03-10, raised 1 March).
LABOUR = [
    # B1, W1: customer 2 h -> gross 200, net 200, cost 80, profit 120
    dict(branch="B1", wip_no="W1", line_no=1, document="I1", allowed_time=2, time_taken=2, pay_type="customer"),
    # B1, W1: warranty 1 h at 60 -> gross 60, net 60, cost 40, profit 20
    dict(branch="B1", wip_no="W1", line_no=2, document="I1", labour_rate=60, pay_type="warranty"),
    # B1, W2: a credit, empty pay type (customer): −1 h -> net −100, cost −40, profit −60; no repair order
    dict(branch="B1", wip_no="W2", document="C1", doc_type="credit", allowed_time=-1, time_taken=-1, pay_type=""),
    # B1, W3: open (no document), raised 8 days before t = 31 March: 3 h, value 300
    dict(branch="B1", wip_no="W3", document="", doc_type="", date_edit="", date_created="2024-03-23",
         allowed_time=3, wip_owner="OW2"),
    # B1, W4: invoiced after t, so open at t; raised 91 days before t: 0.5 h, value 50
    dict(branch="B1", wip_no="W4", document="I9", date_edit="2024-04-02", date_created="2023-12-31",
         allowed_time=0.5),
    # B2, W5: internal 1 h, discount 10 -> gross 100, net 90, cost 40, profit 50
    dict(branch="B2", wip_no="W5", document="I5", discount=10, pay_type="internal", technician="T2"),
    # B2, W6: open, raised 7 days before t: 1 six-minute unit, half credited -> 0.05 h, value 50
    dict(branch="B2", wip_no="W6", document="", doc_type="", date_edit="", date_created="2024-03-24",
         minutes_per_unit=6, contribution=50, technician="T2"),
    # B1, W7: March a year earlier: 2 h, net 200 (the prior-year figures)
    dict(branch="B1", wip_no="W7", document="I7", date_created="2023-03-01", date_edit="2023-03-10",
         allowed_time=2, time_taken=2),
]
# Parts lines (defaults: invoice D1 of 2024-03-10, quantity 1).
PARTS = [
    # B1 workshop, warranty: net 2 × 30 = 60, cost 40, profit 20
    dict(branch="B1", document="D1", wip_no="W1", quantity=2, retail_price=30, selling_price=30, cost_price=20,
         pay_type="warranty"),
    # B1 counter, customer: net 100, cost 60, profit 40
    dict(branch="B1", document="D2", retail_price=100, selling_price=100, cost_price=60, pay_type="customer"),
    # B2 workshop credit, empty pay type (customer): net −30, cost −20, profit −10
    dict(branch="B2", document="D3", doc_type="credit", wip_no="W5", quantity=-1, retail_price=30, selling_price=30,
         cost_price=20, pay_type=""),
    # B1, as_of − 364 days = 2023-04-02 (2024 is a leap year): cost 25 in the 12 months; the day before: cost 7 out
    dict(branch="B1", document="D4", date_edit="2023-04-02", selling_price=50, retail_price=50, cost_price=25),
    dict(branch="B1", document="D5", date_edit="2023-04-01", cost_price=7),
]
OVERHEADS = [
    dict(branch="B1", month="2024-03", amount=300), dict(branch="B2", month="2024-03", amount=600),
    dict(branch="", month="2024-03", amount=100),  # a group row: counts for the group, in no branch
    dict(branch="B1", month="2024-02", amount=9999), dict(branch="B1", month="2024-04", amount=9999),
]
STOCK = [
    # B1: sold 90 days before as-of (0–3 months) 10 × 5 = 50; never sold, received 366 days before: 2 × 100 = 200
    dict(branch="B1", part_no="P1", on_hand_qty=10, unit_cost=5, last_sale_date="2024-01-01"),
    dict(branch="B1", part_no="P2", on_hand_qty=2, unit_cost=100, last_receipt_date="2023-03-31"),
    dict(branch="B1", part_no="P3", on_hand_qty=0, unit_cost=1000),  # nothing on hand: nowhere
    # B2: sold 365 days before (9–12 months; the sale decides over a recent receipt) 1 × 30
    dict(branch="B2", part_no="P1", on_hand_qty=1, unit_cost=30, last_sale_date="2023-04-01",
         last_receipt_date="2024-03-01"),
    dict(branch="B2", part_no="P4", on_hand_qty=-3, unit_cost=10),  # below zero: nowhere
    dict(branch="B2", part_no="P5", on_hand_qty=4, unit_cost=5),  # no date at all: over 12 months, 20
]


def full_source(folder: Path, **tables: list[dict]) -> Path:
    """The source above (every table of the report, two branches), with `tables` replacing its own."""
    given = {"parts_lines": PARTS, "labour_lines": LABOUR, "accounts": [dict()], "overheads": OVERHEADS,
             "parts_stock": STOCK, **tables}
    return make_source(folder, **{name: rows for name, rows in given.items() if rows is not None})


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def number(text: str) -> float:
    return math.nan if text == "" else float(text)


def check_row(row: dict, **expected: float | None) -> None:
    """Each named cell of a CSV row is the hand-worked figure (None: an empty cell)."""
    for name, value in expected.items():
        if value is None:
            assert row[name] == "", f"{name} should be empty, is {row[name]!r}"
        else:
            assert number(row[name]) == pytest.approx(value, abs=1e-6), f"{name}: {row[name]} != {value}"


def built(folder: Path, tmp: Path, branch: str = "", params: str = ""):
    """build() of the report over the source at `folder`, writing into `tmp`/out; returns (report, out)."""
    out = tmp / f"out{branch}"
    ctx = report.start("operations", source=str(folder), out_dir=str(out), branch=branch, params_file=params,
                       **MARCH)
    try:
        return report_module.build(ctx), out / "tables" / "operations"
    finally:
        ctx.source.close()


@pytest.fixture(scope="module")
def group(tmp_path_factory):
    """The report of the whole group over the source above: (report, its CSV folder)."""
    base = tmp_path_factory.mktemp("group")
    return built(full_source(base / "src"), base)


def test_csvs_have_exactly_the_spec_columns(group):
    """A script reading the four CSVs finds the SPEC's columns in the SPEC's order, data rows only."""
    _, tables = group
    for name, header in HEADERS.items():
        lines = (tables / f"{name}.csv").read_text(encoding="utf-8").splitlines()
        assert lines[0] == header, name
        assert not any("Total" in line for line in lines), name
    assert len(read_csv(tables / "summary.csv")) == 1
    assert [r["bucket"] for r in read_csv(tables / "wip.csv")] == ["d0_7", "d8_30", "d31_60", "d61_90", "d90_plus"]
    assert [r["bucket"] for r in read_csv(tables / "stock_ageing.csv")] == ["m0_3", "m3_6", "m6_9", "m9_12",
                                                                          "m12_plus"]


def test_group_summary_worked_by_hand(group):
    """The director reads repair orders, ELR, gross profit, absorption and stock health of the group as the SPEC
    defines them, credits with their signs and a group overhead row counted."""
    (row,) = read_csv(group[1] / "summary.csv")
    # ROs: W1 and W5 (W2 has only a credit); hours 2 + 1 − 1 + 1 = 3; labour net 200 + 60 − 100 + 90 = 250
    # workshop parts net 60 − 30 = 30; parts profit 20 + 40 − 10 = 50, labour profit 120 + 20 − 60 + 50 = 130
    # overheads 300 + 600 + 100 (March whole) = 1000; stock 50 + 200 + 30 + 20 = 300, over 12 months 220
    # cost of sales 12 months: 40 + 60 − 20 in March + 25 on 2023-04-02 = 105 (7 on 2023-04-01 is out)
    check_row(row, ros=2, hours_sold=3, hours_per_ro=1.5, labour_net=250, labour_per_ro=125, workshop_parts_net=30,
              parts_per_ro=15, parts_to_labour=30 / 250, elr=250 / 3, gross_profit=180, overheads=1000,
              absorption_pct=18, stock_value=300, cost_of_sales_12m=105, turns=105 / 300,
              days_supply=300 / (105 / 365), obsolescence_pct=220 / 300 * 100)


def test_group_pay_types_worked_by_hand(group):
    """The manager compares customer, internal and warranty work side by side, an empty pay type under customer,
    a job with lines of two pay types a repair order in each."""
    rows = {r["pay_type"]: r for r in read_csv(group[1] / "pay_types.csv")}
    assert list(rows) == ["customer", "internal", "warranty"]
    # customer: W1 2 h / 200 / profit 120 and the W2 credit −1 h / −100 / −60; parts D2 100 / 40 and D3 −30 / −10
    check_row(rows["customer"], ros=1, hours_sold=1, labour_net=100, labour_profit=60, labour_gp_pct=60, elr=100,
              hours_mix_pct=100 / 3, parts_net=70, parts_profit=30)
    # internal: W5 1 h, gross 100, net 90, profit 50; no parts line
    check_row(rows["internal"], ros=1, hours_sold=1, labour_net=90, labour_profit=50, labour_gp_pct=50, elr=90,
              hours_mix_pct=100 / 3, parts_net=0, parts_profit=0)
    # warranty: W1 1 h at 60, profit 20; parts D1 60 / 20
    check_row(rows["warranty"], ros=1, hours_sold=1, labour_net=60, labour_profit=20, labour_gp_pct=20 / 60 * 100,
              elr=60, hours_mix_pct=100 / 3, parts_net=60, parts_profit=20)


def test_group_wip_and_stock_buckets_worked_by_hand(group):
    """Work in progress at t and stock on as-of fall in their age buckets on the edges (7, 8, 91 days; 90, 365,
    366 days and no date), rows with nothing on hand counted nowhere."""
    wip = {r["bucket"]: r for r in read_csv(group[1] / "wip.csv")}
    check_row(wip["d0_7"], jobs=1, hours=0.05, value=50)  # W6, 7 days: 1 × 6/60 × 0.5 h, 1 × 100 × 0.5
    check_row(wip["d8_30"], jobs=1, hours=3, value=300)  # W3, 8 days
    check_row(wip["d31_60"], jobs=0, hours=0, value=0)
    check_row(wip["d61_90"], jobs=0, hours=0, value=0)
    check_row(wip["d90_plus"], jobs=1, hours=0.5, value=50)  # W4, 91 days, its invoice dated after t
    stock = {r["bucket"]: r for r in read_csv(group[1] / "stock_ageing.csv")}
    check_row(stock["m0_3"], parts=1, value=50, value_pct=50 / 3)  # P1 of B1, 90 days
    check_row(stock["m3_6"], parts=0, value=0, value_pct=0)
    check_row(stock["m6_9"], parts=0, value=0, value_pct=0)
    check_row(stock["m9_12"], parts=1, value=30, value_pct=10)  # P1 of B2, 365 days since its sale
    check_row(stock["m12_plus"], parts=2, value=220, value_pct=220 / 3)  # P2 received 366 days ago; P5 no date


def test_open_jobs_prior_year_change_and_tiles(group):
    """The page lists open jobs oldest first with owner and value, compares repair orders with a year earlier, and
    the landing page gets ELR, absorption and WIP value."""
    rep, tables = group
    assert rep.open_jobs["wip_no"].tolist() == ["W4", "W3", "W6"]  # 91, 8 and 7 days
    assert rep.open_jobs["owner"].tolist() == ["OW1", "OW2", "OW1"]
    assert rep.open_jobs["value"].tolist() == [50, 300, 50]
    change = rep.change.set_index("figure")
    # a year earlier: W7 alone, 2 h, net 200 -> 1 RO, ELR 100
    assert change.loc["ROs (repair orders)", ["value", "prior", "change", "change_pct"]].tolist() == [2, 1, 1, 100]
    assert change.loc["ELR (effective labour rate)", "change"] == pytest.approx(250 / 3 - 100)
    recorded = json.loads((tables.parent.parent / "summaries" / "operations.json").read_text(encoding="utf-8"))
    tiles = {t["label"]: t["value"] for t in recorded["tiles"]}
    assert tiles == {"ELR (effective labour rate)": pytest.approx(250 / 3), "Absorption %": pytest.approx(18),
                     "WIP value": 400}


def test_lists_are_capped_with_a_note(tmp_path):
    """A long open-jobs list shows the report.page_rows oldest jobs and says how many there are; the obsolete parts
    are listed most valuable first."""
    settings = tmp_path / "short.yaml"
    settings.write_text("report:\n  page_rows: 2\n", encoding="utf-8")
    rep, tables = built(full_source(tmp_path / "src"), tmp_path, params=str(settings))
    assert rep.open_jobs["wip_no"].tolist() == ["W4", "W3"] and rep.open_jobs.attrs["rows"] == 3
    assert rep.notes["wip"] == ["The 2 oldest of 3 open jobs are listed; every job counts in the buckets above."]
    assert sum(int(r["jobs"]) for r in read_csv(tables / "wip.csv")) == 3  # the CSV counts every job
    assert rep.obsolete["part_no"].tolist() == ["P2", "P5"]  # 200, then 20
    assert rep.notes["stock"] == ["The 2 parts on hand with no sale in 12 months, most valuable first"]


def test_data_quality_counts(group):
    """Data quality says how many stock rows count nowhere and how many lines had no pay type, and lists those rows."""
    checks = {c["check"]: c["rows"] for c in group[0].quality.checks}
    assert checks["parts lines in the period"] == 3
    assert checks["parts lines in the period with an empty pay type"] == 1  # D3
    assert checks["invoiced labour lines in the period"] == 4
    assert checks["invoiced labour lines in the period with an empty pay type"] == 1  # the W2 credit
    assert checks["stock rows with on_hand_qty ≤ 0"] == 2  # P3 of B1, P4 of B2
    assert checks["stock rows on hand with neither a sale nor a receipt date"] == 1  # P5
    listed = group[0].quality.details["stock rows with on_hand_qty ≤ 0"]
    assert listed["part_no"].tolist() == ["P3", "P4"]
    assert group[0].headline["wip_jobs"] == 3


def test_one_branch_sees_only_its_rows(tmp_path):
    """A branch's pack counts only that branch's lines, stock and overheads (the group's own overhead row is in no
    branch)."""
    rep, tables = built(full_source(tmp_path / "src"), tmp_path, branch="B1")
    (row,) = read_csv(tables / "summary.csv")
    # B1: W1 (2 h / 200 / 120, 1 h / 60 / 20) and the W2 credit (−1 h / −100 / −60); parts D1 60 / 20, D2 100 / 40
    # gross profit 80 + 60 = 140 against 300 of overheads; stock 50 + 200; cost 40 + 60 + 25 = 125
    check_row(row, ros=1, hours_sold=2, labour_net=160, elr=80, workshop_parts_net=60, parts_per_ro=60,
              gross_profit=140, overheads=300, absorption_pct=140 / 3, stock_value=250, cost_of_sales_12m=125,
              turns=0.5, obsolescence_pct=80)
    assert [r["pay_type"] for r in read_csv(tables / "pay_types.csv")] == ["customer", "warranty"]
    wip = {r["bucket"]: int(r["jobs"]) for r in read_csv(tables / "wip.csv")}
    assert wip == {"d0_7": 0, "d8_30": 1, "d31_60": 0, "d61_90": 0, "d90_plus": 1}
    assert rep.obsolete["part_no"].tolist() == ["P2"]


def test_without_pay_types_every_line_is_customer(tmp_path):
    """A source without pay types shows one pay type, customer, and the page says which column would split it."""
    labour = [{k: v for k, v in line.items() if k != "pay_type"} for line in LABOUR]
    parts = [{k: v for k, v in line.items() if k != "pay_type"} for line in PARTS]
    rep, tables = built(full_source(tmp_path / "src", labour_lines=labour, parts_lines=parts), tmp_path)
    (row,) = read_csv(tables / "pay_types.csv")
    # everything of the group: ROs 2, hours 3, net 250, profit 130 of gross 260; parts 60 + 100 − 30, 20 + 40 − 10
    check_row(row, ros=2, hours_sold=3, labour_net=250, labour_profit=130, labour_gp_pct=50, elr=250 / 3,
              hours_mix_pct=100, parts_net=130, parts_profit=50)
    assert row["pay_type"] == "customer"
    assert any("pay_type column" in note for note in rep.notes["pay_types"])
    checks = {c["check"]: c["rows"] for c in rep.quality.checks}
    assert checks["parts lines in the period with an empty pay type"] == 3


def test_absorption_gap_says_why_the_gauge_is_missing(tmp_path):
    """The Absorption section says why there is no gauge: no overheads table, no row for the period, or 0."""
    target = tmp_path / "target.yaml"
    target.write_text("operations:\n  absorption_target: 40\n", encoding="utf-8")
    rep, _ = built(full_source(tmp_path / "a"), tmp_path / "a", params=str(target))
    assert rep.absorption_gap() == "" and report_module.target_lines(rep.headline) == {"Absorption": 40}
    assert report_module.tiles(rep.headline)[1]["change_text"] == "-22.0 pts vs target 40 %"  # 18 − 40
    rep, _ = built(full_source(tmp_path / "b", overheads=[dict(month="2024-05", amount=5)]), tmp_path / "b")
    assert "No overheads row covers" in rep.absorption_gap() and math.isnan(rep.headline["overheads"])
    rep, _ = built(full_source(tmp_path / "c", overheads=[dict(month="2024-03", amount=0)]), tmp_path / "c")
    assert rep.headline["overheads"] == 0 and "are 0" in rep.absorption_gap()
    rep, _ = built(full_source(tmp_path / "d", overheads=None), tmp_path / "d")
    assert rep.absorption_gap() == op.MISSING["overheads"] == rep.lacks("overheads")


# ---------------------------------------------------------------- the command line


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One run of `--reports operations` on the source above; returns (exit status, output folder)."""
    base = tmp_path_factory.mktemp("run")
    out = base / "out"
    status = main(["run", "--source", str(full_source(base / "src")), *RUN, "--reports", "operations",
                   "--out", str(out)])
    return status, out


def test_run_writes_the_page_and_the_four_csvs(run):
    """A scheduled run leaves the Fixed operations page, its notebook, the four CSVs and their spreadsheet sheets."""
    status, out = run
    assert status == 0
    for name in ("operations.html", "notebooks/operations.ipynb", "index.html", "manifest.json"):
        assert (out / name).is_file(), name
    for name, header in HEADERS.items():
        assert (out / "tables" / "operations" / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0] == header
    page = (out / "operations.html").read_text(encoding="utf-8")
    for section in ("Repair orders", "Pay types", "Work in progress", "Stock", "Absorption", "KPI dictionary",
                    "Data quality"):
        assert f">{section}</h2>" in page, section
    assert "Effective labour rate per pay type" in page and "Absorption % against its target" in page
    (book,) = out.glob("*.xlsx")
    with zipfile.ZipFile(book) as opened:
        sheets = re.findall(r'<sheet name="([^"]+)"', opened.read("xl/workbook.xml").decode("utf-8"))
    assert {"operations_summary", "operations_pay_types", "operations_wip", "operations_stock_ageing"} <= set(sheets)


def test_run_puts_the_three_tiles_on_the_landing_page(run):
    """The landing page shows ELR, absorption % and WIP value and links the page."""
    _, out = run
    index = (out / "index.html").read_text(encoding="utf-8")
    for text in ("ELR (effective labour rate)", "Absorption %", "WIP value", 'href="operations.html"', "83.33"):
        assert text in index, text


def test_a_source_without_overheads_and_stock_still_writes_the_page(tmp_path):
    """Without overheads and parts_stock the page is written, its Stock and Absorption sections say which table
    would fill them, the summary's stock and absorption columns are empty and the rest is computed."""
    out = tmp_path / "out"
    source = full_source(tmp_path / "src", overheads=None, parts_stock=None)
    assert main(["run", "--source", str(source), *RUN, "--reports", "operations", "--out", str(out)]) == 0
    page = (out / "operations.html").read_text(encoding="utf-8")
    for table in ("parts_stock", "overheads"):
        assert op.MISSING[table] in page, table
    (row,) = read_csv(out / "tables" / "operations" / "summary.csv")
    check_row(row, ros=2, elr=250 / 3, gross_profit=180, overheads=None, absorption_pct=None, stock_value=None,
              cost_of_sales_12m=None, turns=None, days_supply=None, obsolescence_pct=None)
    assert sorted(p.stem for p in (out / "tables" / "operations").glob("*.csv")) == ["pay_types", "summary", "wip"]


# ---------------------------------------------------------------- bad input of the new tables

BAD = {
    "pay type outside its list (case-sensitive)": (
        dict(labour_lines=[dict(pay_type="customer"), dict(line_no=2, pay_type="Customer")]),
        ("labour_lines", "pay_type", [2])),
    "pay type on parts": (dict(parts_lines=[dict(pay_type="warranty"), dict(pay_type="WARRANTY")]),
                          ("parts_lines", "pay_type", [2])),
    "negative overheads": (dict(overheads=[dict(month="2024-03", amount=10), dict(month="2024-04", amount=-5)]),
                           ("overheads", "amount", [2])),
    "duplicated branch and part": (
        dict(parts_stock=[dict(branch="B1", part_no="P1"), dict(branch="B2", part_no="P1"),
                          dict(branch="B1", part_no="P1")]),
        ("parts_stock", "branch+part_no", [1, 3])),
    "a date that is not a date": (dict(parts_stock=[dict(last_sale_date="2024-02-30")]),
                                  ("parts_stock", "last_sale_date", [1])),
    "a budgets measure outside its list": (dict(budgets=[dict(measure="parts_net"), dict(measure="sales",
                                                                                        month="2024-04")]),
                                           ("budgets", "measure", [2])),
    "a month not YYYY-MM": (dict(overheads=[dict(month="2024-3")]), ("overheads", "month", [1])),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_of_the_new_tables_is_refused(case, tmp_path, capsys):
    """A source breaking the §6.1 rules is refused by `aftersales validate`, naming the table, the column and the
    first offending rows."""
    tables, (table, column, rows) = BAD[case]
    folder = make_source(tmp_path, accounts=[dict()], **tables)
    with Source.open(folder) as source:
        (problem,) = validate(source)
    assert (problem.table, problem.column, problem.rows) == (table, column, rows)
    assert main(["validate", "--source", str(folder)]) != 0
    said = capsys.readouterr().err
    assert f"{table}.{column}" in said and "first offending rows " + ", ".join(map(str, rows)) in said


def test_a_run_refuses_bad_stock_before_any_report(tmp_path):
    """A run of the report on a stock file with a duplicated branch+part_no exits non-zero and writes no pack."""
    source = full_source(tmp_path / "src", parts_stock=[*STOCK, STOCK[0]])
    out = tmp_path / "out"
    assert main(["run", "--source", str(source), *RUN, "--reports", "operations", "--out", str(out)]) != 0
    assert not out.exists()


def test_operations_is_in_every_pack():
    """Every pack holds the Fixed operations report, after Workshop, with its title and landing tile."""
    assert REPORTS == ("parts", "labour", "workshop", "operations", "accounts", "sales")
    assert landing.TITLES["operations"] == "Fixed operations"
    assert landing.EXPECTED_TILES["operations"] == report_module.tiles(
        {**dict.fromkeys(op.SUMMARY_COLUMNS, 0.0), "ros": 0, "ros_prior": 0.0, "elr_prior": 0.0, "wip_value": 0.0,
         "wip_jobs": 0, "wip_value_over_90": 0.0, "absorption_target": 100.0})[0]["label"]
    assert "operations" in landing.TILE_ORDER
