"""Labour grids against figures worked out by hand from the SPEC's formulas."""

from __future__ import annotations

import datetime as dt

import pytest

from aftersales.reports import labour
from aftersales.reports.grids import in_period
from factory import check, make_source, row, small_lists

START, END = dt.date(2024, 3, 1), dt.date(2024, 3, 15)

LINES = [
    # One job line in 6-minute units (15 units = 1.5 h allowed, 20 units = 2 h taken), split 50/50
    # between T1 and T2. Each row: gross 15 × 9 × 50% = 67.5; cost 20 × 40 × (6/60) × 50% = 40.
    # T1's row carries a discount of 7.5: net 60, profit 20; T2's: net 67.5, profit 27.5. Hours 0.75 each.
    dict(wip_no="W1", line_no=1, technician="T1", document="L1", date_edit="2024-03-01", labour_type="LT1",
         wip_owner="OW1", department="W", allowed_time=15, time_taken=20, minutes_per_unit=6, labour_rate=9,
         contribution=50, cost_per_hour=40, discount=7.5),
    dict(wip_no="W1", line_no=1, technician="T2", document="L1", date_edit="2024-03-01", labour_type="LT1",
         wip_owner="OW1", department="W", allowed_time=15, time_taken=20, minutes_per_unit=6, labour_rate=9,
         contribution=50, cost_per_hour=40, discount=0),
    # Flat rate: costed on the 2 allowed hours (80), not the 3 taken (120). Gross = net 200, profit 120.
    dict(wip_no="W2", line_no=1, document="L2", date_edit="2024-03-05", labour_type="LT2", wip_owner="OW2",
         allowed_time=2, time_taken=3, labour_rate=100, cost_per_hour=40, flat_rate="true"),
    # Credit note: gross −100, discount −10, net −90, cost −40, profit −50, hours −1.
    dict(wip_no="W3", line_no=1, technician="T2", document="C1", doc_type="credit", date_edit="2024-03-05",
         labour_type="LT1", wip_owner="OW2", allowed_time=-1, time_taken=-1, labour_rate=100, cost_per_hour=40,
         discount=-10),
    # Menu-priced job on the last day: gross = net 150, cost 40, profit 110, variance 120 − 150 = −30.
    dict(wip_no="W4", line_no=1, document="L3", date_edit="2024-03-15", department="B", labour_type="LT3",
         wip_owner="OW1", allowed_time=1.5, time_taken=1, labour_rate=100, cost_per_hour=40,
         menu_normal_value=150, menu_fixed_value=120, account="A9"),
    # Not invoiced (work in progress): in no grid.
    dict(wip_no="W5", line_no=1, document="", doc_type="", date_edit="2024-03-10", allowed_time=50),
    # Outside the period on both sides.
    dict(wip_no="W6", line_no=1, document="L8", date_edit="2024-02-29", allowed_time=100),
    dict(wip_no="W7", line_no=1, document="L9", date_edit="2024-03-16", allowed_time=100),
]


@pytest.fixture
def data(tmp_path, open_source):
    src = open_source(make_source(tmp_path, labour_lines=LINES, accounts=[dict(account="A1")]))
    lines = src.table("labour_lines").filter(in_period("date_edit", START, END))
    return src, lines




def test_activity_split_flat_rate_credit_and_menu(data):
    """Each day adds the split shares, costs flat-rate lines on allowed time, nets credits and shows menu variance."""
    _, lines = data
    grid = labour.activity(lines)
    assert [d.strftime("%Y-%m-%d") for d in grid.rows["date"]] == ["2024-03-01", "2024-03-05", "2024-03-15"]
    check(row(grid, "2024-03-01"), documents=1, invoices=1, credits=0, gross=135, discount=7.5, net=127.5,
          cost=80, profit=47.5, variance=0, gp_pct=47.5 / 135 * 100)
    check(row(grid, "2024-03-05"), documents=2, invoices=1, credits=1, gross=100, discount=-10, net=110,
          cost=40, profit=70, variance=0, gp_pct=70.0)
    check(row(grid, "2024-03-15"), documents=1, gross=150, net=150, cost=40, profit=110, variance=-30,
          gp_pct=110 / 150 * 100)
    check(grid.total.iloc[0], documents=4, invoices=3, credits=1, gross=385, discount=-2.5, net=387.5,
          cost=160, profit=227.5, variance=-30, gp_pct=227.5 / 385 * 100)
    assert list(grid.rows.columns) == ["date", "documents", "invoices", "credits", "gross", "discount", "net",
                                       "cost", "profit", "variance", "gp_pct"]


def test_operators_are_job_owners(data):
    """The Operators grid groups by the job owner (wip_owner) under the column `operator`."""
    _, lines = data
    grid = labour.operators(lines)
    assert list(grid.rows["operator"]) == ["OW1", "OW2"]
    check(row(grid, "OW1"), documents=2, invoices=2, credits=0, gross=285, discount=7.5, net=277.5, cost=120,
          profit=157.5, variance=-30)
    check(row(grid, "OW2"), documents=2, invoices=1, credits=1, gross=100, net=110, cost=40, profit=70)


def test_labour_type_with_a_loss(data):
    """A labour type whose credit outweighs its sale shows a negative profit and GP% from its sums."""
    _, lines = data
    grid = labour.labour_types(lines)
    assert list(grid.rows["labour_type"]) == ["LT1", "LT2", "LT3"]
    check(row(grid, "LT1"), gross=35, discount=-2.5, net=37.5, cost=40, profit=-2.5, gp_pct=-2.5 / 35 * 100)


def test_labour_grids_reconcile(data):
    """Activity, Departments, Labour types and Operators total to the same figures."""
    _, lines = data
    grids = [labour.activity(lines), labour.departments(lines), labour.labour_types(lines), labour.operators(lines)]
    first = grids[0].total.iloc[0]
    for grid in grids:
        for col in ("gross", "discount", "net", "cost", "profit", "variance"):
            assert grid.rows[col].sum() == pytest.approx(first[col])
            assert grid.total.iloc[0][col] == pytest.approx(first[col])
        assert grid.total.iloc[0]["documents"] == 4
        assert grid.total.iloc[0]["gp_pct"] == pytest.approx(first["profit"] / first["gross"] * 100)
    assert list(labour.departments(lines).rows["department"]) == ["B", "W"]


def test_effective_rate_is_net_per_hour_sold(data):
    """The effective rate is Σ net ÷ Σ allowed hours (6-minute units and shares converted to hours)."""
    _, lines = data
    rates = labour.rates(lines, "wip_owner", "operator")
    check(row(rates, "OW1"), hours_sold=3.0, net_per_hour=92.5)
    check(row(rates, "OW2"), hours_sold=1.0, net_per_hour=110.0)
    check(rates.total.iloc[0], hours_sold=4.0, net_per_hour=387.5 / 4)
    shown = labour.with_rates(labour.operators(lines), rates)
    assert list(shown.rows.columns)[-2:] == ["hours_sold", "net_per_hour"]
    check(shown.total.iloc[0], net=387.5, hours_sold=4.0)


def test_effective_rate_empty_without_hours(tmp_path, open_source):
    """A group that sold no hours has an empty rate, not 0 and not infinite."""
    src = open_source(make_source(tmp_path, labour_lines=[dict(allowed_time=0, discount=-5)]))
    rates = labour.rates(src.table("labour_lines"), "department")
    check(rates.rows.iloc[0], hours_sold=0.0, net_per_hour=None)


def test_documents_drilldown(data):
    """Each labour document shows its account, WIP and figures; credits keep their sign; WIP lines are absent."""
    src, lines = data
    docs = labour.documents(lines, src.table("accounts"))
    assert list(docs["document"]) == ["L1", "C1", "L2", "L3"]
    credit = docs[docs["document"] == "C1"].iloc[0]
    assert credit["doc_type"] == "credit" and credit["net"] == pytest.approx(-90)
    l1 = docs[docs["document"] == "L1"].iloc[0]
    assert l1["lines"] == 2 and l1["net"] == pytest.approx(127.5) and l1["name"] == "Alpha Garage"


def test_quality_lists_work_in_progress_and_unknown_accounts(data):
    """Un-invoiced lines and lines of unknown accounts are counted and listed, not dropped silently."""
    src, lines = data
    wip = labour.uninvoiced(lines)
    assert list(wip["wip_no"]) == ["W5"] and wip["allowed"].iloc[0] == pytest.approx(50)
    unknown = labour.unknown_accounts(lines, src.table("accounts"))
    assert list(unknown["document"]) == ["L3"] and list(unknown["account"]) == ["A9"]


def test_tiles_show_change_against_prior_year():
    """The labour net tile carries its change against the prior-year period."""
    head = {"net": 150.0, "net_prior": 100.0, "net_growth_pct": 50.0, "gp_pct": 40.0, "gp_pct_prior": 30.0,
            "hours_sold": 2.0, "net_per_hour": 75.0, "invoices": 2, "credits": 0}
    tiles = labour.tiles(head)
    assert [t["label"] for t in tiles][0] == "Labour net sales"
    assert tiles[0]["change_text"] == "+50.00 (+50.0 %) vs prior year"
    assert tiles[1]["change_text"] == "+10.0 pts vs prior year"


# ---------------------------------------------------------------- a large dealer's month


def test_sales_grids_and_rates_in_one_pass_are_each_grid(data):
    """The grids and rates `build` makes in one pass are exactly those of each grid function and `rates`."""
    import pandas as pd

    _, lines = data
    grids, rated = labour.sales_grids(lines)
    makers = {"activity": labour.activity, "departments": labour.departments, "labour_types": labour.labour_types,
              "operators": labour.operators}
    for name, make in makers.items():
        for together, alone in ((grids[name], make(lines)), (rated[name], labour.rates(lines, *labour.GRIDS[name]))):
            pd.testing.assert_frame_equal(together.rows, alone.rows, obj=name)
            pd.testing.assert_frame_equal(together.total, alone.total, obj=name)
            assert (together.name, together.key) == (alone.name, alone.key)


def test_build_lists_the_first_rows_and_counts_every_row(tmp_path):
    """With drill-down lists of 2 rows, documents and unknown-account lines hold their first 2 rows,
    and the notes and data quality count every one."""
    folder = make_source(tmp_path / "src", labour_lines=LINES, accounts=[dict(account="ZZ")])
    with small_lists("labour", folder, tmp_path, 2, date_from="2024-03-01", date_to="2024-03-15",
                     as_of="2024-03-15") as ctx:
        rep = labour.build(ctx)
    assert list(rep.documents["document"]) == ["L1", "C1"] and rep.documents.attrs["rows"] == 4
    assert any("first 2 of 4 documents" in note for note in rep.notes)
    checks = {c["check"]: c["rows"] for c in rep.quality.checks}
    assert checks["invoiced lines whose account is not in accounts"] == 5
    assert checks["labour lines not invoiced (no document)"] == 1
    unknown = rep.quality.details["invoiced lines whose account is not in accounts"]
    assert len(unknown) == 2 and unknown.attrs["rows"] == 5
    check(rep.grids["departments"].total.iloc[0], documents=4, net=60 + 67.5 + 200 - 90 + 150)
