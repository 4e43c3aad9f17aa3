"""Parts grids against figures worked out by hand from the SPEC's formulas."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from aftersales.reports import parts
from aftersales.reports.grids import in_period
from factory import check, make_source, row, small_lists

START, END = dt.date(2024, 3, 1), dt.date(2024, 3, 15)
AS_OF = END

LINES = [
    # invoice: gross 20, discount 1, net 17, cost 12, profit 5
    dict(document="D1", doc_type="invoice", date_edit="2024-03-01", department="P", sale_type="S1", operator="OP1",
         quantity=2, retail_price=10, selling_price=9, discount=1, cost_price=6, first_pick="true"),
    # credit: gross -10, discount -0.5, net -8.5, cost -6, profit -2.5; its first pick is ignored
    dict(document="C1", doc_type="credit", date_edit="2024-03-01", department="P", sale_type="S1", operator="OP2",
         quantity=-1, retail_price=10, selling_price=9, discount=-0.5, cost_price=6, first_pick="false"),
    # a day whose Gross is 0: GP% empty; menu variances 50-40 and 20-0
    dict(document="D2", doc_type="invoice", date_edit="2024-03-11", department="W", sale_type="S2", operator="OP1",
         quantity=1, retail_price=0, selling_price=0, discount=0, cost_price=3, menu_normal_value=50,
         menu_fixed_value=40, first_pick="false"),
    dict(document="D2", doc_type="invoice", date_edit="2024-03-11", department="W", sale_type="S2", operator="OP1",
         quantity=3, retail_price=0, selling_price=0, discount=0, cost_price=0, menu_normal_value=20),
    # last day included: gross 100, net 80, cost 40, profit 40, VOR loss 7
    dict(document="D3", doc_type="invoice", date_edit="2024-03-15", department="B", sale_type="S1", operator="OP2",
         quantity=4, retail_price=25, selling_price=20, discount=0, cost_price=10, first_pick="TRUE", vor_loss=7),
    # outside the period on both sides
    dict(document="D4", date_edit="2024-02-29", quantity=100, retail_price=10),
    dict(document="D5", date_edit="2024-03-16", quantity=100, retail_price=10),
]

MOVEMENTS = [
    dict(date="2024-03-01", movement_type="invoiced", value=12),
    dict(date="2024-03-01", movement_type="received", value=30),
    dict(date="2024-03-05", movement_type="returned", value=4),
    dict(date="2024-03-05", movement_type="reversed", value=2),
    dict(date="2024-03-05", movement_type="requisitioned", value=5),
    dict(date="2024-03-20", movement_type="received", value=999),
]


@pytest.fixture
def data(tmp_path, open_source):
    src = open_source(make_source(tmp_path, parts_lines=LINES, parts_movements=MOVEMENTS))
    lines = src.table("parts_lines").filter(in_period("date_edit", START, END))
    return src, lines




def test_activity_per_day_with_credits_and_empty_gp(data):
    """A day's figures net invoices against credits (signed), and a day with no Gross has an empty GP%."""
    _, lines = data
    grid = parts.activity(lines)
    assert [d.strftime("%Y-%m-%d") for d in grid.rows["date"]] == ["2024-03-01", "2024-03-11", "2024-03-15"]
    check(row(grid, "2024-03-01"), documents=2, invoices=1, credits=1, gross=10, discount=0.5, net=8.5,
          cost=6, profit=2.5, variance=0, gp_pct=25.0)
    check(row(grid, "2024-03-11"), documents=1, invoices=1, credits=0, gross=0, net=0, cost=3, profit=-3,
          variance=30, gp_pct=None)
    check(row(grid, "2024-03-15"), documents=1, gross=100, net=80, cost=40, profit=40, gp_pct=40.0)
    check(grid.total.iloc[0], documents=4, invoices=3, credits=1, gross=110, discount=0.5, net=88.5, cost=49,
          profit=39.5, variance=30, gp_pct=39.5 / 110 * 100)


def test_operators_group_lines_and_ratio_of_sums(data):
    """An operator's GP% is the ratio of its sums, not an average of its lines' ratios."""
    _, lines = data
    grid = parts.operators(lines)
    assert list(grid.rows["operator"]) == ["OP1", "OP2"]
    check(row(grid, "OP1"), documents=2, invoices=2, credits=0, gross=20, discount=1, net=17, cost=15, profit=2,
          variance=30, gp_pct=10.0)
    check(row(grid, "OP2"), documents=2, invoices=1, credits=1, gross=90, discount=-0.5, net=71.5, cost=34,
          profit=37.5, gp_pct=37.5 / 90 * 100)


def test_sales_grids_reconcile(data):
    """Activity, Departments, Sales types and Operators total to the same figures."""
    _, lines = data
    grids = [parts.activity(lines), parts.departments(lines), parts.sales_types(lines), parts.operators(lines)]
    first = grids[0].total.iloc[0]
    for grid in grids:
        for col in ("gross", "discount", "net", "cost", "profit", "variance"):
            assert grid.rows[col].sum() == pytest.approx(first[col])
            assert grid.total.iloc[0][col] == pytest.approx(first[col])
        assert grid.total.iloc[0]["documents"] == 4
        assert grid.total.iloc[0]["gp_pct"] == pytest.approx(first["profit"] / first["gross"] * 100)
    assert list(parts.departments(lines).rows["department"]) == ["B", "P", "W"]


def test_movement_days_values_and_first_pick(data):
    """Movement shows each day with a movement or a line; first pick counts invoice lines whose flag is known."""
    src, lines = data
    grid = parts.movement(lines, src.table("parts_movements"), START, END)
    assert [d.strftime("%Y-%m-%d") for d in grid.rows["date"]] == [
        "2024-03-01", "2024-03-05", "2024-03-11", "2024-03-15"]
    check(row(grid, "2024-03-01"), invoiced=12, received=30, movement=18, vor_loss=0, first_pick_pct=100.0)
    check(row(grid, "2024-03-05"), returned=4, reversed=2, requisitioned=5, movement=1, first_pick_pct=None)
    check(row(grid, "2024-03-11"), movement=0, first_pick_pct=0.0)
    check(row(grid, "2024-03-15"), vor_loss=7, first_pick_pct=100.0)
    check(grid.total.iloc[0], invoiced=12, returned=4, requisitioned=5, reversed=2, received=30, movement=19,
          vor_loss=7, first_pick_pct=200 / 3)


def test_movement_without_movements_table(data):
    """A source without parts_movements still gets VOR loss and first pick, with a note."""
    _, lines = data
    grid = parts.movement(lines, None, START, END)
    assert len(grid.rows) == 3
    assert grid.rows["invoiced"].isna().all()
    assert grid.notes


AGES = {-1: 1, 0: 2, 1: 4, 30: 8, 31: 16, 60: 32, 61: 64, 90: 128, 91: 256, 120: 512, 121: 1024}


def test_purchasing_bucket_edges(tmp_path, open_source):
    """Outstanding quantities fall in the bucket of their age, at every edge; empty dates are ignored."""
    orders = []
    for age, qty in AGES.items():
        latest = AS_OF - dt.timedelta(days=age)
        if latest > AS_OF:  # the future date is the required date; created earlier
            orders.append(dict(date_created="2024-01-01", date_required=latest.isoformat(), outstanding_qty=qty))
        else:
            orders.append(dict(date_created=latest.isoformat(), outstanding_qty=qty))
    # grn_date is the latest date: age 0
    orders.append(dict(date_created="2023-01-01", grn_date=AS_OF.isoformat(), date_required="2023-02-01",
                       outstanding_qty=2048))
    orders.append(dict(date_created="2024-03-01", outstanding_qty=0))  # nothing outstanding
    orders.append(dict(date_created="2024-03-01", outstanding_qty=-3))
    orders.append(dict(date_created="2024-03-01", outstanding_qty=5, order_type="VOR", state="late"))
    src = open_source(make_source(tmp_path, purchase_order_lines=orders))
    grid = parts.purchasing(src.table("purchase_order_lines"), AS_OF)
    assert list(zip(grid.rows["state"], grid.rows["order_type"])) == [("late", "VOR"), ("open", "stock")]
    check(row(grid, "open"), current=1 + 2 + 2048, d30=4 + 8, d60=16 + 32, d90=64 + 128, d120=256 + 512,
          d120_plus=1024, total=4095)
    check(row(grid, "late"), d30=5, total=5)
    check(grid.total.iloc[0], current=2051, total=4100)


def test_documents_drilldown(data):
    """Each document shows its account, name, WIP and figures; credits keep their sign."""
    src, lines = data
    docs = parts.documents(lines, src.table("accounts"))
    assert list(docs["document"]) == ["C1", "D1", "D2", "D3"]
    credit = docs[docs["document"] == "C1"].iloc[0]
    assert credit["doc_type"] == "credit"
    assert credit["net"] == pytest.approx(-8.5)
    d2 = docs[docs["document"] == "D2"].iloc[0]
    assert d2["lines"] == 2 and math.isnan(d2["gp_pct"]) and d2["variance"] == pytest.approx(30)


# ---------------------------------------------------------------- a large dealer's month


def test_sales_grids_in_one_pass_are_the_four_grids(data):
    """The grids `build` makes in one pass are exactly Activity, Departments, Sales types and Operators."""
    import pandas as pd

    _, lines = data
    together = parts.sales_grids(lines)
    for name, make in (("activity", parts.activity), ("departments", parts.departments),
                       ("sales_types", parts.sales_types), ("operators", parts.operators)):
        alone = make(lines)
        pd.testing.assert_frame_equal(together[name].rows, alone.rows, obj=name)
        pd.testing.assert_frame_equal(together[name].total, alone.total, obj=name)
        assert (together[name].name, together[name].key) == (alone.name, alone.key)


def test_build_lists_the_first_documents_and_counts_every_row(tmp_path):
    """With drill-down lists of 2 rows, the documents list and the unknown-account lines hold their first
    2 rows (by date), the notes and data quality count every one, and the grids still count all lines."""
    folder = make_source(tmp_path / "src", parts_lines=LINES, parts_movements=MOVEMENTS, accounts=[dict(account="ZZ")])
    with small_lists("parts", folder, tmp_path, 2, date_from="2024-03-01", date_to="2024-03-15",
                     as_of="2024-03-15") as ctx:
        rep = parts.build(ctx)
    assert list(rep.documents["document"]) == ["C1", "D1"] and rep.documents.attrs["rows"] == 4
    assert any("first 2 of 4 documents" in note for note in rep.notes)
    checks = {c["check"]: c["rows"] for c in rep.quality.checks}
    assert checks["lines whose account is not in accounts"] == 5
    unknown = rep.quality.details["lines whose account is not in accounts"]
    assert len(unknown) == 2 and unknown.attrs["rows"] == 5 and list(unknown["document"]) == ["C1", "D1"]
    assert rep.grids["departments"].total["documents"].iloc[0] == 4
