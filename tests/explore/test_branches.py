"""A group's analyst chooses the whole group or one branch in the explorer (SPEC §6.2): every grid,
chart and drill-down of the report then reads that branch's rows only, as its branch pack does.
Figures worked out by hand from the lines below."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from aftersales.explore import widgets
from aftersales.run import context as report
from factory import check, make_source

AS_OF = "2024-03-15"
D = dt.date

PARTS = [
    # branch 01: gross 20, net 17, cost 12, profit 5
    dict(branch="01", document="D1", date_edit="2024-03-01", department="P", operator="OP1", account="A1",
         quantity=2, retail_price=10, selling_price=9, discount=1, cost_price=6),
    # branch 007 (a code that looks like a number): gross 50, net 40, cost 30, profit 10
    dict(branch="007", document="D2", date_edit="2024-03-11", department="W", operator="OP2", account="A2",
         quantity=1, retail_price=50, selling_price=40, discount=0, cost_price=30),
    # branch 9, missing from `branches`: gross 100, net 80, cost 40, profit 40
    dict(branch="9", document="D3", date_edit="2024-03-15", department="P", operator="OP2", account="A2",
         quantity=4, retail_price=25, selling_price=20, discount=0, cost_price=10),
]
LABOUR = [
    # branch 01: gross 200, net 190, cost 60, profit 130
    dict(branch="01", wip_no="W1", document="L1", date_created="2024-03-04", date_edit="2024-03-05", technician="T1",
         allowed_time=2, time_taken=1.5, labour_rate=100, cost_per_hour=40, discount=10),
    # branch 007: gross 80, net 80, cost 40, profit 40
    dict(branch="007", wip_no="W2", document="L2", date_created="2024-03-06", date_edit="2024-03-06",
         technician="T2", allowed_time=1, time_taken=1, labour_rate=80, cost_per_hour=40),
]
CLOCKINGS = [
    dict(branch="01", technician="T1", technician_name="Tom", clock_in="2024-03-05T08:00",
         clock_out="2024-03-05T12:00", wip_no="W1", line_no=1),
    dict(branch="007", technician="T2", technician_name="Tia", clock_in="2024-03-06T08:00",
         clock_out="2024-03-06T09:00", wip_no="W2", line_no=1),
]
BRANCHES = [
    dict(branch="01", name="<b>North</b>", region="N"),
    dict(branch="007", name="Bond & Co", region="S"),
    dict(branch="5", name="Empty Branch", region="S"),  # no line: still a branch (a pack is made for it)
]
ACCOUNTS = [dict(account="A1", name="Alpha Garage"), dict(account="A2", name="Beta Fleet")]


@pytest.fixture
def source(tmp_path):
    return make_source(tmp_path / "src", parts_lines=PARTS, labour_lines=LABOUR, clockings=CLOCKINGS,
                       branches=BRANCHES, accounts=ACCOUNTS)


def total(ex, grid: str):
    return ex.view.grids[grid].total.iloc[0]


def test_the_branch_control_lists_every_branch_and_starts_on_the_group(explorer):
    """Every code on the lines or in `branches`, by code, named where `branches` names it (markup as
    text); the explorer opens on the whole group."""
    ex = explorer("parts")
    assert ex.branch.options == (("Whole group", ""), ("007 · Bond & Co", "007"), ("01 · <b>North</b>", "01"),
                                 ("5 · Empty Branch", "5"), ("9", "9"))
    assert ex.branch.value == "" and ex.scope() == ""
    check(total(ex, "activity"), documents=3, gross=170, net=137, cost=82, profit=55, gp_pct=55 / 170 * 100)


def test_choosing_a_branch_redraws_the_report_and_the_drill_down_on_its_rows(explorer):
    """A branch's grids, title and drill-down hold its lines alone; back to the group, all of them."""
    ex = explorer("parts")
    ex.branch.choose("01")
    check(total(ex, "activity"), documents=1, gross=20, net=17, cost=12, profit=5, gp_pct=25.0)
    assert ex.view_ctx.scope.branch == "01" and "branch 01" in ex.describe()
    assert "branch 01" in ex.status.value
    assert [v for _, v in ex.drill_value.options] == [D(2024, 3, 1)]
    ex.branch.choose("9")  # a code missing from `branches` still counts
    check(total(ex, "activity"), documents=1, gross=100, net=80, profit=40, gp_pct=40.0)
    ex.drill_key.value = "Operator"
    assert [v for _, v in ex.drill_value.options] == ["OP2"]
    ex.branch.choose("5")
    assert ex.message.startswith("No data for this selection") and "branch 5" in ex.message
    ex.branch.choose("")
    check(total(ex, "activity"), documents=3, net=137, profit=55)


def test_a_branch_offers_its_own_filter_values_and_composes_with_them(explorer):
    """The filters offer the chosen branch's values; a choice the branch lacks is dropped; a filter
    keeps its rows within the branch."""
    ex = explorer("parts")
    assert [v for _, v in ex.filters["department"].options] == ["P", "W"]
    assert [v for _, v in ex.filters["operator"].options] == ["OP1", "OP2"]
    ex.filters["department"].value = ("P",)
    check(total(ex, "activity"), documents=2, net=97, profit=45)  # D1 17 + D3 80
    ex.branch.choose("9")
    assert [v for _, v in ex.filters["department"].options] == ["P"]
    assert [v for _, v in ex.filters["operator"].options] == ["OP2"]
    assert ex.filters["department"].value == ("P",)  # kept: the branch sold in P
    check(total(ex, "activity"), documents=1, net=80)
    ex.branch.choose("007")
    assert [v for _, v in ex.filters["department"].options] == ["W"]
    assert ex.filters["department"].value == ()  # dropped: 007 sold nothing in P
    check(total(ex, "activity"), documents=1, gross=50, net=40, profit=10, gp_pct=20.0)
    assert "Department" not in ex.describe()
    ex.branch.choose("5")
    assert ex.filters["department"].options == () and ex.message.startswith("No data for this selection")
    ex.branch.choose("")
    assert [v for _, v in ex.filters["department"].options] == ["P", "W"]
    check(total(ex, "activity"), documents=3, net=137)
    ex.branch.choose("007")
    ex.clear_filters()
    assert ex.branch.value == "007"  # the branch is a scope, not a filter: it stays
    check(total(ex, "activity"), net=40)


def test_labour_and_workshop_follow_the_branch(explorer):
    """Labour lines and clockings are the branch's own (a clocking counts in the branch written on it)."""
    labour = explorer("labour")
    check(total(labour, "departments"), documents=2, net=270, profit=170)
    labour.branch.choose("007")
    check(total(labour, "departments"), documents=1, gross=80, net=80, cost=40, profit=40, gp_pct=50.0)
    workshop = explorer("workshop")
    assert [label for label, _ in workshop.filters["technician"].options] == ["T1 · Tom", "T2 · Tia"]
    workshop.branch.choose("01")
    assert [label for label, _ in workshop.filters["technician"].options] == ["T1 · Tom"]
    assert list(workshop.view.grids["technicians"].rows["technician"]) == ["T1"]
    check(workshop.view.grids["technicians"].rows.iloc[0], attended=4, allowed=2, charged=190, pro_pct=50.0)


def test_fixed_operations_follow_the_branch(explorer):
    """Repair orders, hours and pay types are the branch's: W1 (2 hours, net 190) in 01; W2 (1 hour,
    net 80) in 007; both in the group."""
    ex = explorer("operations")
    check(ex.view.grids["summary"].rows.iloc[0], ros=2, hours_sold=3, labour_net=270, elr=90.0)
    ex.branch.choose("01")
    check(ex.view.grids["summary"].rows.iloc[0], ros=1, hours_sold=2, labour_net=190, elr=95.0, hours_per_ro=2)
    check(ex.view.grids["pay_types"].rows.iloc[0], pay_type="customer", ros=1, hours_sold=2, labour_net=190,
          hours_mix_pct=100.0, parts_net=17)
    ex.branch.choose("007")
    check(ex.view.grids["summary"].rows.iloc[0], ros=1, hours_sold=1, labour_net=80, elr=80.0)


def test_a_branch_notebook_opens_on_its_branch(source, tmp_path):
    """A branch pack's notebook (the parameter `branch`) opens the explorer on that branch; Export
    says which branch it holds."""
    ctx = report.start("parts", source=str(source), period="mtd", as_of=AS_OF, interactive=True, branch="007")
    try:
        ex = widgets.explore(ctx, export_root=tmp_path / "explore")
        assert ex.branch.value == "007"
        check(total(ex, "activity"), documents=1, net=40)
        folder = ex.export()
        about = json.loads((folder / "view.json").read_text(encoding="utf-8"))
        assert about["branch"] == "007"
    finally:
        ctx.source.close()


def test_no_branch_control_for_one_dealer_or_for_sales(explorer, tmp_path):
    """The Sales performance report is made for the group only; a source without branches has none
    to choose."""
    assert explorer("sales").branch is None
    single = make_source(tmp_path / "single", parts_lines=[{k: v for k, v in PARTS[0].items() if k != "branch"}])
    ctx = report.start("parts", source=str(single), period="mtd", as_of=AS_OF, interactive=True)
    try:
        ex = widgets.explore(ctx, export_root=tmp_path / "explore")
        assert ex.branch is None and ex.scope() is None
        check(total(ex, "activity"), net=17)
    finally:
        ctx.source.close()
