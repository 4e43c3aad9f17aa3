"""Accounts grids against figures worked out by hand from SPEC §3 "Accounts", and a run end to end."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from aftersales.cli import main
from aftersales.reports import accounts
from aftersales.reports.periods import Period
from factory import check, make_source, row

PERIOD = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31), dt.date(2024, 3, 31))
_line_no = iter(range(1, 10_000))


def part(document, account, day, net, gross=None, cost=0.0, doc_type="invoice", quantity=1):
    """A parts line whose Net is `net` (selling price × quantity), Gross `gross` and Cost `cost` per unit."""
    q = quantity
    return dict(document=document, doc_type=doc_type, account=account, date_edit=day, quantity=q,
                selling_price=net / q, retail_price=(net if gross is None else gross) / q, cost_price=cost / q,
                discount=0)


def labour(document, account, day, net, cost=0.0, doc_type="invoice"):
    """An invoiced labour line: one hour at `net` per hour (Gross = Net) costing `cost`."""
    return dict(wip_no="W1", line_no=next(_line_no), document=document, doc_type=doc_type, account=account,
                date_edit=day, allowed_time=1, time_taken=1, minutes_per_unit=60, labour_rate=net,
                contribution=100, cost_per_hour=cost, flat_rate="false", discount=0)


PARTS = [
    # A1: now parts Gross 1000 Net 900 Profit 300 (+ labour below); prior Gross 1000 Net 800 Profit 400
    part("D1", "A1", "2024-03-05", 900, gross=1000, cost=600),
    part("P1", "A1", "2023-03-05", 800, gross=1000, cost=400),
    part("D9", "A1", "2024-04-01", 99999),  # after the period: never counts
    # A2: no prior sales (a line the day before the prior window does not count)
    part("D2", "A2", "2024-03-08", 500, cost=250),
    part("P2", "A2", "2023-02-28", 100),
    # A3: just under both thresholds: sales −19.99 %, GP% 30 → 25.01 (−4.99 pts); two invoices under 5000
    part("P3", "A3", "2023-03-10", 10000, cost=7000),
    part("D3a", "A3", "2024-03-10", 4000, gross=5000, cost=2750),
    part("D3b", "A3", "2024-03-11", 4001, gross=5000, cost=2750),
    # A4: exactly at both thresholds: sales −20 %, GP% 30 → 25 (−5 pts)
    part("P4", "A4", "2023-03-12", 1000, cost=700),
    part("D4", "A4", "2024-03-12", 800, gross=1000, cost=550),
    # A5: documents around the large-document threshold (5000)
    part("D5", "A5", "2024-03-15", 5000),                                # exactly at it: alerts
    part("C5", "A5", "2024-03-16", -6000, doc_type="credit", quantity=-1),  # a credit: never
    part("C6", "A5", "2024-03-16", 7000, doc_type="credit"),              # even with a positive Net
    part("D6", "A5", "2024-03-17", 3000),                                 # 3000 parts + 2500 labour = 5500
    part("D7", "A5", "2024-03-18", 4999.99),                              # just under
    # ZZ: missing from accounts, sales halved
    part("D8", "ZZ", "2024-03-20", 50),
    part("P8", "ZZ", "2023-03-20", 100),
]
LABOUR = [
    labour("D1", "A1", "2024-03-06", 100, cost=40),   # A1 labour: Net 100, Profit 60
    dict(labour(None, "A1", "2024-03-07", 9999), document="", doc_type=""),  # un-invoiced: not a sale
    labour("D6", "A5", "2024-03-17", 2500),
]
ACCOUNTS = [
    dict(account="A1", name="Alpha Garage", owner="R1", email="buyer@alpha.example"),
    dict(account="A2", name="Beta Fleet", owner="R1"),
    dict(account="A3", name="Gamma", owner="R3"),
    dict(account="A4", name="Delta «Dépôt»", owner="R2", email="delta@example.com"),
    dict(account="A5", name="Epsilon", owner="R2"),
]
REPS = [dict(rep="R1", name="Rita Rep", email="rita@example.com"), dict(rep="R2", name="Bob Rep", email="")]

A1 = dict(sales=1000, sales_prior=800, growth_pct=25.0, margin=360, margin_prior=400, gross=1100,
          gp_pct=360 / 1100 * 100, gp_pct_prior=40.0, gp_change_pts=360 / 1100 * 100 - 40)
TOTAL_SALES = 1000 + 500 + 8001 + 800 + (5000 - 6000 + 7000 + 5500 + 4999.99) + 50
TOTAL_PRIOR = 800 + 10000 + 1000 + 100




@pytest.fixture
def data(tmp_path, open_source):
    """The sales lines, accounts and reps of the hand-worked source."""
    src = open_source(make_source(tmp_path, parts_lines=PARTS, labour_lines=LABOUR, accounts=ACCOUNTS,
                                  sales_reps=REPS))
    lines = accounts.sales_lines(src.table("parts_lines"), src.table("labour_lines"))
    return lines, accounts.account_info(src.table("accounts")), accounts.rep_info(src.table("sales_reps"))


def test_account_figures_against_the_prior_year(data):
    """Sales, margin, gross and GP% add parts and invoiced labour, each against the same dates a year earlier."""
    lines, info, _ = data
    grid = accounts.accounts_grid(lines, info, PERIOD)
    assert list(grid.rows.columns) == list(accounts.ACCOUNT_COLUMNS)
    assert list(grid.rows["account"]) == ["A1", "A2", "A3", "A4", "A5", "ZZ"]
    check(row(grid, "A1"), name="Alpha Garage", owner="R1", territory="North", segment="Fleet", **A1)
    check(row(grid, "A3"), sales=8001, sales_prior=10000, growth_pct=-19.99, gp_pct=25.01, gp_pct_prior=30.0,
          gp_change_pts=-4.99)
    check(row(grid, "A4"), growth_pct=-20.0, gp_pct=25.0, gp_change_pts=-5.0)
    check(row(grid, "A5"), sales=TOTAL_SALES - 1000 - 500 - 8001 - 800 - 50, sales_prior=0, growth_pct=None)
    total = grid.total.iloc[0]
    check(total, sales=TOTAL_SALES, sales_prior=TOTAL_PRIOR,
          growth_pct=(TOTAL_SALES - TOTAL_PRIOR) / TOTAL_PRIOR * 100)


def test_zero_prior_sales_leave_growth_and_gp_change_empty(data):
    """An account with no sales a year earlier has an empty growth % and GP% change, not 0 or infinite."""
    lines, info, _ = data
    a2 = row(accounts.accounts_grid(lines, info, PERIOD), "A2")
    check(a2, sales=500, sales_prior=0, growth_pct=None, margin=250, margin_prior=0, gp_pct=50.0,
          gp_pct_prior=None, gp_change_pts=None)


def test_account_missing_from_accounts_still_counts(data):
    """Sales of an account missing from the accounts table count, with name and owner empty."""
    lines, info, _ = data
    zz = row(accounts.accounts_grid(lines, info, PERIOD), "ZZ")
    check(zz, name=None, owner=None, sales=50, sales_prior=100, growth_pct=-50.0)
    unknown = accounts.unknown_accounts(lines, info, PERIOD)
    assert list(unknown["account"]) == ["ZZ"]


def test_prior_window_maps_29_february_to_28_february(tmp_path, open_source):
    """A period ending 29 February compares with the year before up to 28 February, not 1 March."""
    src = open_source(make_source(tmp_path, parts_lines=[
        part("N1", "A1", "2024-02-29", 100), part("O1", "A1", "2023-02-28", 50),
        part("O2", "A1", "2023-03-01", 1000)]))
    lines = accounts.sales_lines(src.table("parts_lines"), src.table("labour_lines"))
    feb = Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29), dt.date(2024, 2, 29))
    check(row(accounts.accounts_grid(lines, None, feb), "A1"), sales=100, sales_prior=50, growth_pct=100.0)
    leap_day = Period(dt.date(2024, 2, 29), dt.date(2024, 2, 29), dt.date(2024, 3, 31))
    check(row(accounts.accounts_grid(lines, None, leap_day), "A1"), sales=100, sales_prior=50)


def test_data_after_as_of_never_counts_in_either_window(tmp_path, open_source):
    """With as-of inside the period, the period and its prior both stop at as-of's date."""
    src = open_source(make_source(tmp_path, parts_lines=[
        part("N1", "A1", "2024-03-20", 100), part("N2", "A1", "2024-03-21", 1000),
        part("O1", "A1", "2023-03-20", 40), part("O2", "A1", "2023-03-21", 1000)]))
    lines = accounts.sales_lines(src.table("parts_lines"), src.table("labour_lines"))
    period = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31), dt.date(2024, 3, 20))
    check(row(accounts.accounts_grid(lines, None, period), "A1"), sales=100, sales_prior=40, growth_pct=150.0)


def test_year_to_date_against_prior_year_to_date(tmp_path, open_source):
    """Year to date runs from 1 January of `to`'s year to `to`, against the same dates a year earlier."""
    src = open_source(make_source(tmp_path, parts_lines=[
        part("N1", "A1", "2024-01-01", 300), part("N2", "A1", "2024-03-31", 200),
        part("O1", "A1", "2023-01-01", 400), part("O2", "A1", "2023-04-01", 9999),
        part("O3", "A1", "2022-12-31", 9999)]))
    lines = accounts.sales_lines(src.table("parts_lines"), src.table("labour_lines"))
    grid = accounts.year_to_date(lines, None, PERIOD)
    assert list(grid.rows.columns) == list(accounts.YTD_COLUMNS)
    check(row(grid, "A1"), sales_ytd=500, sales_ytd_prior=400, growth_pct=25.0)


def test_monthly_covers_twelve_months_ending_with_to(tmp_path, open_source):
    """Monthly sums each account's months from eleven months before `to`'s month up to `to` (as-of)."""
    src = open_source(make_source(tmp_path, parts_lines=[
        part("X0", "A1", "2023-03-31", 1), part("X1", "A1", "2023-04-01", 10, cost=4),
        part("X2", "A1", "2024-03-02", 20, cost=5), part("X3", "A1", "2024-03-15", 30, cost=5),
        part("X4", "A1", "2024-03-16", 1000), part("X5", "B2", "2023-12-24", 7)]))
    lines = accounts.sales_lines(src.table("parts_lines"), src.table("labour_lines"))
    period = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31), dt.date(2024, 3, 15))
    grid = accounts.monthly(lines, period)
    assert list(grid.rows.columns) == list(accounts.MONTHLY_COLUMNS)
    got = [(r.account, r.month, r.sales, r.margin) for r in grid.rows.itertuples()]
    assert got == [("A1", "2023-04", 10, 6), ("A1", "2024-03", 50, 40), ("B2", "2023-12", 7, 7)]
    totals = accounts.monthly_totals(lines, period)
    assert list(totals.rows["month"]) == ["2023-04", "2023-12", "2024-03"]
    check(totals.total.iloc[0], sales=67, margin=53, gp_pct=53 / 67 * 100)
    chart = accounts.top_monthly(grid.rows, list(totals.rows["month"]), 1)
    assert list(chart.columns) == ["month", "A1"] and list(chart["A1"]) == [10, 0, 50]


def test_the_top_accounts_chart_ranks_by_twelve_month_sales_then_code():
    """The chart's accounts: the highest twelve-month sales first; equal sales by account code."""
    import pandas as pd

    rows = pd.DataFrame({"account": ["C3", "B2", "A1", "B2", "D4"], "month": ["2024-01", "2024-01", "2024-02",
                         "2024-02", "2024-02"], "sales": [5.0, 2.0, 5.0, 3.0, 1.0]})
    chart = accounts.top_monthly(rows, ["2024-01", "2024-02"], 3)
    assert list(chart.columns) == ["month", "A1", "B2", "C3"]
    assert list(chart["B2"]) == [2.0, 3.0] and list(chart["A1"]) == [0.0, 5.0]


def test_the_owners_chart_draws_the_owners_of_the_highest_sales():
    """Up to 20 owners are all drawn; beyond, the 20 of the highest sales in the grid's order, and the
    title says so (the grid lists every owner). No owner is drawn as "(none)"."""
    import pandas as pd

    few = pd.DataFrame({"owner": ["R2", None], "sales": [1.0, 2.0], "margin": [0.5, 1.0]})
    rows, scope = accounts.charted_owners(few)
    assert list(rows["owner"]) == ["R2", "(none)"] and scope == ""
    many = pd.DataFrame({"owner": [f"R{i:02d}" for i in range(30)], "sales": [float(i % 4) for i in range(30)],
                         "margin": [0.0] * 30})
    rows, scope = accounts.charted_owners(many, top=5)
    # sales 3 for R03, R07, R11, R15, R19, R23, R27: the first five codes, in the grid's order
    assert list(rows["owner"]) == ["R03", "R07", "R11", "R15", "R19"]
    assert scope == " (the 5 of the highest sales, of 30)"


def test_owners_sum_the_accounts_they_own(data):
    """Each owner's row sums the accounts it owns; accounts without an owner make the empty-owner row."""
    lines, info, reps = data
    grid = accounts.by_owner(lines, info, reps, PERIOD)
    assert list(grid.rows["owner"].fillna("")) == ["R1", "R2", "R3", ""]
    check(row(grid, "R1"), name="Rita Rep", accounts=2, sales=1500, sales_prior=800, growth_pct=87.5)
    check(row(grid, "R3"), name=None, accounts=1, sales=8001)
    check(grid.total.iloc[0], accounts=6, sales=TOTAL_SALES, sales_prior=TOTAL_PRIOR)


def test_top_growing_and_declining_rank_by_the_change_in_sales(data):
    """Growing and declining accounts are ranked by how much their sales moved, largest first."""
    lines, info, _ = data
    grid = accounts.accounts_grid(lines, info, PERIOD)
    assert list(accounts.movers(grid, 2, growing=True).rows["account"]) == ["A5", "A2"]
    assert list(accounts.movers(grid, 2, growing=False).rows["account"]) == ["A3", "A4"]


def test_headline_and_tiles(data):
    """The headline adds every account; the tiles show each figure's change against the prior year."""
    lines, _, _ = data
    head = accounts.headline(lines, PERIOD)
    check(head["period"], sales=TOTAL_SALES, sales_prior=TOTAL_PRIOR)
    assert head["ytd"]["sales"] == pytest.approx(TOTAL_SALES), "nothing else this year"
    landing = accounts.landing_tiles(head)
    assert [t["label"] for t in landing] == ["Accounts sales", "GP% (parts + labour)"]
    assert landing[0]["change"] > 0 and "vs prior year" in landing[0]["change_text"]
    assert "pts vs prior year" in landing[1]["change_text"]


# ---------------------------------------------------------------- end to end


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def accounts_run(tmp_path_factory):
    """One `aftersales run --reports accounts` on the hand-worked source; returns (status, folder)."""
    base = tmp_path_factory.mktemp("accounts")
    source = make_source(base / "src", parts_lines=PARTS, labour_lines=LABOUR, accounts=ACCOUNTS, sales_reps=REPS)
    out = base / "out"
    spec_rules = base / "spec-rules.yaml"  # SPEC §3's rules alone: no minimum, no excluded account
    spec_rules.write_text("alerts:\n  min_prior_sales: 0\n  min_sales: 0\n  exclude_accounts: []\n", encoding="utf-8")
    status = main(["run", "--source", str(source), "--from", "2024-03-01", "--to", "2024-03-31",
                   "--as-of", "2024-03-31", "--reports", "accounts", "--out", str(out), "--params", str(spec_rules)])
    return status, out


def test_run_writes_the_accounts_tables(accounts_run):
    """The run writes accounts.csv and monthly.csv with the SPEC's columns and the hand-worked figures."""
    status, out = accounts_run
    assert status == 0
    folder = out / "tables" / "accounts"
    assert (folder / "accounts.csv").read_text(encoding="utf-8").splitlines()[0] == ",".join(accounts.ACCOUNT_COLUMNS)
    assert (folder / "monthly.csv").read_text(encoding="utf-8").splitlines()[0] == "account,month,sales,margin"
    rows = {r["account"]: r for r in read_csv(folder / "accounts.csv")}
    assert list(rows) == ["A1", "A2", "A3", "A4", "A5", "ZZ"]
    for name, value in A1.items():
        assert float(rows["A1"][name]) == pytest.approx(value, abs=1e-6), name
    assert rows["A2"]["growth_pct"] == "" and rows["A2"]["gp_change_pts"] == ""
    assert rows["ZZ"]["name"] == "" and rows["ZZ"]["owner"] == ""
    monthly = read_csv(folder / "monthly.csv")
    assert {(r["account"], r["month"]) for r in monthly} >= {("A1", "2024-03"), ("ZZ", "2024-03")}
    assert all(r["month"] != "2024-04" for r in monthly)


def test_run_writes_alerts_csv(accounts_run):
    """alerts.csv lists every alert with the SPEC's columns, in rule then account order."""
    _, out = accounts_run
    text = (out / "alerts.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "rule,account,name,owner,owner_email,value,threshold,message"
    got = [(r["rule"], r["account"], r["owner"], r["owner_email"]) for r in read_csv(out / "alerts.csv")]
    assert got == [
        ("gp_drop", "A1", "R1", "rita@example.com"), ("gp_drop", "A4", "R2", ""),
        ("sales_decline", "A4", "R2", ""), ("sales_decline", "ZZ", "", ""),
        ("large_document", "A5", "R2", ""), ("large_document", "A5", "R2", ""),
    ]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["alerts"] == 6 and manifest["reports"]["accounts"]["status"] == "ok"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Accounts sales" in index and "large_document" in index


def test_run_writes_the_emails(accounts_run):
    """The run writes one email per owner with alerts, the catch-all's, and a draft per declining account."""
    _, out = accounts_run
    emails = out / "emails"
    assert sorted(p.name for p in emails.glob("*.eml")) == ["R1.eml", "R2.eml", "_no_owner.eml"]
    assert sorted(p.name for p in (emails / "outreach").glob("*.eml")) == ["A4.eml", "ZZ.eml"]
    from aftersales import notify

    bob = notify.read(emails / "R2.eml")
    assert bob["To"].addresses[0].addr_spec == "aftersales@dealer.example", "Bob has no email: catch-all"
    text = bob.get_body(("plain",)).get_content()
    assert "-20.0 %" in text and "-5.0 pts" in text and "5,500.00" in text and "5,000.00" in text
    assert str(out / "accounts.html") in text, "it says where the landed run is, not its temporary folder"
    assert "file://" not in text, "no dead file:// link without notify.report_link_base (issue 21)"
    delta = notify.read(emails / "outreach" / "A4.eml")
    assert "Delta «Dépôt»" in delta.get_body(("plain",)).get_content()


def test_run_page_has_no_error_output(accounts_run):
    """The exported page shows every section and no error output."""
    _, out = accounts_run
    page = (out / "accounts.html").read_text(encoding="utf-8")
    nb = json.loads((out / "notebooks" / "accounts.ipynb").read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error" or o.get("name") == "stderr"]
    for section in ("Accounts", "Year to date", "Monthly", "Growing and declining", "Owners", "Alerts"):
        assert f">{section}</h2>" in page
    assert "Traceback" not in page


# ---------------------------------------------------------------- a large dealer's month


def test_one_pass_gives_every_grid_of_the_functions(data):
    """The sums `build` takes from one pass give exactly the grids and headline of each public function."""
    import pandas as pd

    lines, info, reps = data
    totals = accounts.account_sums(lines, PERIOD)
    pairs = [(accounts._accounts_grid(totals, info), accounts.accounts_grid(lines, info, PERIOD)),
             (accounts._year_to_date(totals, info), accounts.year_to_date(lines, info, PERIOD)),
             (accounts._monthly(totals), accounts.monthly(lines, PERIOD)),
             (accounts._monthly_totals(totals), accounts.monthly_totals(lines, PERIOD)),
             (accounts._by_owner(totals, info, reps), accounts.by_owner(lines, info, reps, PERIOD))]
    for together, alone in pairs:
        pd.testing.assert_frame_equal(together.rows, alone.rows, obj=alone.name)
        pd.testing.assert_frame_equal(together.total, alone.total, obj=alone.name)
        assert together.notes == alone.notes
    assert accounts._headline(totals) == accounts.headline(lines, PERIOD)
    pd.testing.assert_frame_equal(accounts._unknown_accounts(totals, info),
                                  accounts.unknown_accounts(lines, info, PERIOD))


def test_account_sums_per_window_per_account_and_in_total(data):
    """`account_sums` sums each window per account (a row per account with a line in either window) and in total."""
    lines, _, _ = data
    totals = accounts.account_sums(lines, PERIOD, months=False)
    per_account = totals.having("now", "prior").set_index("account")
    assert list(per_account.index) == ["A1", "A2", "A3", "A4", "A5", "ZZ"]
    check(per_account.loc["A1"], sales_now=1000, sales_prior=800, margin_now=360, gross_now=1100)
    check(per_account.loc["A2"], sales_now=500, sales_prior=0)
    total = totals.total.iloc[0]
    check(total, sales_now=TOTAL_SALES, sales_prior=TOTAL_PRIOR)
